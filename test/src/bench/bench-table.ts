/** One benchmark figure beside its same-run baseline. */
export interface BenchRow {
  name: string;
  unit: string;
  value: number | { p50: number; p99: number };
  baseline: number | { p50: number; p99: number };
  baselineName: string;
  goal?: string;
  met?: boolean;
  note?: string;
}

function fmt(v: BenchRow['value']): string {
  const n = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return typeof v === 'number' ? n(v) : `${n(v.p50)} / ${n(v.p99)}`;
}

/** A plain-text table of the rows, for humans. */
export function renderTable(rows: readonly BenchRow[]): string {
  const head = ['benchmark', 'value', 'unit', 'baseline (same run)', 'goal', 'met'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.value),
    r.unit,
    `${fmt(r.baseline)} (${r.baselineName})`,
    r.goal ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
