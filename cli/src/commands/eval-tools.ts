import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatZodIssues, type Severity, SeveritySchema, ToolDefinitionSchema } from '@bulwark/contracts';
import { scanToolDefinitions } from '@bulwark/detectors';
import { z } from 'zod';

const USAGE = `usage: bulwark eval tools <file...> [--json] [--threshold <severity>] [--verbose]

  <file>        labelled JSONL: {"id","server","tool":{"name","description","inputSchema"},"label":"benign"|"poisoned"|"shadowing"}
  --json        print the table on stderr and one JSON object as the last stdout line:
                {"tools","positives","precision","recall","fpr","fpr_important_wording"}, plus
                "per_tactic" when rows carry a "tactic" field (labelled cases grouped by attack tactic)
  --threshold   severity at or above which a tool counts as flagged (default high)
  --verbose     list every missed attack and every false positive`;

const RowSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  server: z.string().min(1),
  tool: ToolDefinitionSchema.omit({ server: true }),
  label: z.enum(['benign', 'poisoned', 'shadowing']),
  source: z.string().optional(),
  /** Attack tactic a case exercises (benign look-alikes carry the tactic they resemble). */
  tactic: z.string().min(1).optional(),
});
type Row = z.infer<typeof RowSchema>;

/** Benign descriptions with wording that looks like an order: the false positives that matter most. */
const IMPORTANT_WORDING = /important|must/i;

interface Counts {
  tools: number;
  positives: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  importantBenign: number;
  importantFp: number;
}

const empty = (): Counts => ({
  tools: 0,
  positives: 0,
  tp: 0,
  fp: 0,
  fn: 0,
  tn: 0,
  importantBenign: 0,
  importantFp: 0,
});
interface TacticCounts {
  positives: number;
  tp: number;
  benign: number;
  fp: number;
}

/** Per-tactic recall, precision and false-positive rate among the look-alikes of that tactic. */
function tacticMetrics(c: TacticCounts) {
  return {
    positives: c.positives,
    benign: c.benign,
    recall: round(ratio(c.tp, c.positives, 1)),
    precision: round(ratio(c.tp, c.tp + c.fp, c.positives === 0 ? 1 : 0)),
    fpr: round(ratio(c.fp, c.benign, 0)),
  };
}

const ratio = (a: number, b: number, ifEmpty: number) => (b === 0 ? ifEmpty : a / b);
const round = (x: number) => Math.round(x * 10_000) / 10_000;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function metrics(c: Counts) {
  return {
    tools: c.tools,
    positives: c.positives,
    precision: round(ratio(c.tp, c.tp + c.fp, c.positives === 0 ? 1 : 0)),
    recall: round(ratio(c.tp, c.positives, 1)),
    fpr: round(ratio(c.fp, c.fp + c.tn, 0)),
    fpr_important_wording: round(ratio(c.importantFp, c.importantBenign, 0)),
  };
}

function readRows(file: string): { ok: true; rows: Row[] } | { ok: false; reason: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      reason: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
  const rows: Row[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      return { ok: false, reason: `${file}:${i + 1}: invalid JSON (${(err as Error).message})` };
    }
    const parsed = RowSchema.safeParse(json);
    if (!parsed.success) {
      const issues = formatZodIssues(parsed.error).join('; ');
      return { ok: false, reason: `${file}:${i + 1}: not a labelled tool definition (${issues})` };
    }
    rows.push(parsed.data);
  }
  if (rows.length === 0) return { ok: false, reason: `${file}: no tool definitions in the file` };
  return { ok: true, rows };
}

/**
 * `bulwark eval tools <file...> [--json]`: scores the tool-definition scanner on labelled JSONL files
 * (`../shared/mcp-tools` format). Each file's tools are scanned together, grouped by `server`, exactly as
 * `bulwark scan` scans several servers. Positives are `poisoned` + `shadowing`. Exit 0, or 2 on bad input.
 */
export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        threshold: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`bulwark eval tools: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values as { json?: boolean; threshold?: string; verbose?: boolean; help?: boolean };
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length === 0) {
    console.error(`bulwark eval tools: no input file given\n${USAGE}`);
    return 2;
  }
  const threshold = SeveritySchema.safeParse(v.threshold ?? 'high');
  if (!threshold.success) {
    console.error(
      `bulwark eval tools: --threshold must be one of info, low, medium, high, critical (got "${v.threshold}")`,
    );
    return 2;
  }

  const total = empty();
  const perFile: [string, Counts][] = [];
  const perLabel = new Map<string, { n: number; hit: number }>();
  const perTactic = new Map<string, TacticCounts>();
  const misses: string[] = [];
  for (const file of parsed.positionals) {
    const read = readRows(file);
    if (!read.ok) {
      console.error(`bulwark eval tools: ${read.reason}`);
      return 2;
    }
    const counts = empty();
    const tools = read.rows.map((r) => ({ ...r.tool, server: r.server }));
    const result = scanToolDefinitions(tools, {
      threshold: threshold.data as Severity,
      includeRiskyCapabilities: false,
    });
    read.rows.forEach((row, i) => {
      const flagged = result.tools[i]?.positive ?? false;
      const positive = row.label !== 'benign';
      counts.tools++;
      if (row.tactic !== undefined) {
        const t = perTactic.get(row.tactic) ?? { positives: 0, tp: 0, benign: 0, fp: 0 };
        if (positive) {
          t.positives++;
          if (flagged) t.tp++;
        } else {
          t.benign++;
          if (flagged) t.fp++;
        }
        perTactic.set(row.tactic, t);
      }
      if (positive) {
        counts.positives++;
        const l = perLabel.get(row.label) ?? { n: 0, hit: 0 };
        l.n++;
        if (flagged) l.hit++;
        perLabel.set(row.label, l);
      }
      if (positive && flagged) counts.tp++;
      else if (positive) {
        counts.fn++;
        misses.push(`missed  ${row.id} ${row.server}/${row.tool.name} (${row.label})`);
      } else if (flagged) {
        counts.fp++;
        const why = result.findings.find(
          (f) => f.toolIndex === i && f.severity === result.tools[i]?.severity,
        );
        misses.push(
          `false+  ${row.id} ${row.server}/${row.tool.name}: ${why?.ruleId ?? ''} ${why?.evidence[0]?.excerpt ?? ''}`,
        );
      } else counts.tn++;
      if (!positive && IMPORTANT_WORDING.test(row.tool.description ?? '')) {
        counts.importantBenign++;
        if (flagged) counts.importantFp++;
      }
    });
    perFile.push([file, counts]);
    for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += counts[k];
  }

  const m = metrics(total);
  const table: string[][] = [
    ['', 'tools', 'positives', 'precision', 'recall', 'FPR', 'FPR "important/must"'],
  ];
  for (const [file, c] of [...perFile, ['total', total] as [string, Counts]]) {
    const x = metrics(c);
    table.push([
      file,
      String(x.tools),
      String(x.positives),
      pct(x.precision),
      pct(x.recall),
      pct(x.fpr),
      `${pct(x.fpr_important_wording)} of ${c.importantBenign}`,
    ]);
  }
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => r[i]?.length ?? 0))) ?? [];
  const lines = table.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
  );
  lines.push(
    `tp ${total.tp}  fp ${total.fp}  fn ${total.fn}  tn ${total.tn}  (threshold: ${threshold.data})`,
  );
  for (const [label, l] of perLabel) lines.push(`recall on ${label}: ${l.hit}/${l.n}`);
  const tactics = [...perTactic].sort(([a], [b]) => a.localeCompare(b));
  for (const [tactic, t] of tactics) {
    const x = tacticMetrics(t);
    lines.push(
      `tactic ${tactic}: recall ${t.tp}/${t.positives}  precision ${pct(x.precision)}  false positives ${t.fp}/${t.benign}`,
    );
  }
  if (v.verbose) lines.push(...misses);
  const text = lines.join('\n');
  if (v.json) {
    process.stderr.write(`${text}\n`);
    const json =
      tactics.length > 0
        ? { ...m, per_tactic: Object.fromEntries(tactics.map(([k, t]) => [k, tacticMetrics(t)])) }
        : m;
    console.log(JSON.stringify(json));
  } else console.log(text);
  return 0;
}
