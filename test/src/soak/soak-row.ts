/** One figure row of `npm run soak`: what was tried, the counts, and whether the goal held. */
export interface SoakRow {
  /** faults | overload | bad_input | auth | isolation | injection */
  section: string;
  name: string;
  /** true = the goal held, false = it did not, undefined = not measured (skipped or the step failed). */
  held: boolean | undefined;
  /** The counts, by name (acknowledged, stored, missing, duplicated, status_429, p99_ms, ...). */
  figures: Record<string, number | string>;
  goal: string;
  note?: string;
  /** Set when the step itself failed: the row still reports, with what was measured before. */
  error?: string;
  seconds: number;
}

/**
 * Runs one row with a deadline; a throw or a timeout becomes a row with `error`, never a lost row.
 * `body` fills `row.figures` as it goes, so a failing step still shows what it measured.
 */
export async function runRow(
  section: string,
  name: string,
  goal: string,
  timeoutMillis: number,
  body: (row: SoakRow) => Promise<void>,
): Promise<SoakRow> {
  const row: SoakRow = { section, name, held: undefined, figures: {}, goal, seconds: 0 };
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      body(row),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`row timed out after ${(timeoutMillis / 1000).toFixed(0)} s`)),
          timeoutMillis,
        );
      }),
    ]);
  } catch (err) {
    row.error = (err as Error).message.split('\n').slice(0, 3).join(' | ').slice(0, 400);
    row.held = undefined;
  } finally {
    clearTimeout(timer);
  }
  row.seconds = (Date.now() - started) / 1000;
  return row;
}

const cell = (v: number | string) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v;

/** A plain-text table: one line per row, figures as `name=value`. */
export function renderSoakTable(rows: readonly SoakRow[]): string {
  const head = ['section', 'row', 'held', 'figures'];
  const body = rows.map((r) => [
    r.section,
    r.name,
    r.error ? 'ERROR' : r.held === undefined ? 'skip' : r.held ? 'yes' : 'NO',
    [
      Object.entries(r.figures)
        .map(([k, v]) => `${k}=${cell(v)}`)
        .join(' '),
      r.error ? `error: ${r.error}` : '',
    ]
      .filter(Boolean)
      .join('  '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  widths[3] = Math.min(widths[3]!, 160);
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
