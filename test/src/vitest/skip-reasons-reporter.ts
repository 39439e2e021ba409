import path from 'node:path';
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';

/** A skipped test and why, as the summary prints it. */
export interface SkippedTest {
  /** Test file, relative to the root. */
  file: string;
  /** `suite > test`. */
  name: string;
  /** The `ctx.skip(note)` note, or the `skipped: …` reason in the test's or a suite's name. */
  reason: string | undefined;
}

/** `skipped: <why>` at the start of a name, or `(skipped: <why>)` / `[skipped: <why>]` inside it. */
const REASON = /(^|[([])\s*skipped\s*:\s*(.+)$/i;

/** The reason carried in a name such as `Kafka suite (skipped: no broker on 127.0.0.1:9092)`. */
export function reasonInName(name: string): string | undefined {
  const m = REASON.exec(name.trim());
  if (!m) return undefined;
  let reason = (m[2] ?? '').trim();
  const close = m[1] === '(' ? ')' : m[1] === '[' ? ']' : '';
  if (close && reason.endsWith(close)) reason = reason.slice(0, -1).trim();
  return reason || undefined;
}

function skippedTest(test: TestCase, root: string): SkippedTest | undefined {
  const result = test.result();
  if (result.state !== 'skipped') return undefined;
  const names: string[] = [test.name];
  let reason = result.note || reasonInName(test.name);
  for (let p: TestSuite | TestModule = test.parent; p.type === 'suite'; p = p.parent) {
    names.unshift(p.name);
    reason ??= reasonInName(p.name);
  }
  return { file: path.relative(root, test.module.moduleId), name: names.join(' > '), reason };
}

/**
 * The lines the summary ends with: skipped tests grouped by file and reason, so "10 skipped" always says
 * why (a missing Kafka broker, ClickHouse server, browser or data set). Tests skipped without a reason are
 * named, so someone can give them one.
 *
 * @example
 * formatSkipped([{ file: 'a.test.ts', name: 'x', reason: 'no broker' }]); // ['', 'Skipped 1 test:', '  a.test.ts (1): no broker']
 */
export function formatSkipped(skipped: readonly SkippedTest[]): string[] {
  if (skipped.length === 0) return [];
  const groups = new Map<string, { file: string; reason: string | undefined; names: string[] }>();
  for (const s of skipped) {
    const key = `${s.file}\u0000${s.reason ?? ''}`;
    const g = groups.get(key) ?? { file: s.file, reason: s.reason, names: [] };
    g.names.push(s.name);
    groups.set(key, g);
  }
  const lines = ['', `Skipped ${skipped.length} test${skipped.length === 1 ? '' : 's'}:`];
  for (const g of groups.values()) {
    if (g.reason) lines.push(`  ${g.file} (${g.names.length}): ${g.reason}`);
    else
      for (const n of g.names)
        lines.push(`  ${g.file}: "${n}" (no reason given: use ctx.skip(reason) or name it)`);
  }
  return lines;
}

/**
 * Vitest reporter that prints, after the default summary, why each skipped test was skipped. With a test
 * name filter (`-t`) tests skipped by the filter are left out: only those with a reason are listed.
 *
 * @example
 * // vitest.config.ts
 * test: { reporters: ['default', './test/src/vitest/skip-reasons-reporter.ts'] }
 */
export default class SkipReasonsReporter implements Reporter {
  private root = process.cwd();
  private filtered = false;

  private readonly write: (text: string) => void;

  /** Vitest passes the reporter's options object (`[path, options]` in the config); `write` is for tests. */
  constructor(options: { write?: (text: string) => void } = {}) {
    this.write = typeof options?.write === 'function' ? options.write : (t) => void process.stdout.write(t);
  }

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
    this.filtered = Boolean(vitest.config.testNamePattern);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: SkippedTest[] = [];
    for (const m of testModules)
      for (const t of m.children.allTests()) {
        const s = skippedTest(t, this.root);
        if (s && (!this.filtered || s.reason)) skipped.push(s);
      }
    const lines = formatSkipped(skipped);
    if (lines.length > 0) this.write(`${lines.join('\n')}\n`);
  }
}
