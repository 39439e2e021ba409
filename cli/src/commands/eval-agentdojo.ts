import { createReadStream, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import {
  type AgentDojoConversation,
  type AgentDojoLabels,
  evaluateAgentDojo,
  stripAnswerKey,
} from '@bulwark/detectors/eval';

const USAGE = `usage: bulwark eval agentdojo <path...> [--json]

  <path>   a directory of AgentDojo run JSON files, or .jsonl / .jsonl.gz files of runs
  --json   print a table on stderr and one JSON object as the last stdout line`;

type Run = { conversation: AgentDojoConversation; labels: AgentDojoLabels };

function* filesOf(path: string): Generator<string> {
  const st = statSync(path);
  if (!st.isDirectory()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) {
    const full = join(path, name);
    if (statSync(full).isDirectory()) yield* filesOf(full);
    else if (/\.(json|jsonl|jsonl\.gz|json\.gz)$/.test(name)) yield full;
  }
}

async function readRuns(file: string, out: Run[], errors: string[]): Promise<void> {
  const gz = file.endsWith('.gz');
  const jsonl = /\.jsonl(\.gz)?$/.test(file);
  const stream = gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const accept = (raw: unknown, where: string) => {
    const res = stripAnswerKey(raw);
    if (!res.ok) errors.push(`${where}: not an AgentDojo run (${res.message})`);
    else if (!res.labels) errors.push(`${where}: run has no labels; it cannot be scored`);
    else out.push({ conversation: res.conversation, labels: res.labels });
  };
  if (jsonl) {
    let n = 0;
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      n++;
      if (!line.trim()) continue;
      try {
        accept(JSON.parse(line), `${file}:${n}`);
      } catch (err) {
        errors.push(`${file}:${n}: invalid JSON (${(err as Error).message})`);
      }
    }
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (Array.isArray(parsed)) for (const [i, r] of parsed.entries()) accept(r, `${file}[${i}]`);
    else accept(parsed, file);
  } catch (err) {
    errors.push(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/**
 * `bulwark eval agentdojo <path...> [--json]`: replays AgentDojo runs through the default engine and scores
 * them as `../shared/agentdojo/README.md` defines. Exit 0 on success, 2 on bad input.
 */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const paths = argv.filter((a) => !a.startsWith('--'));
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (paths.length === 0) {
    console.error(`bulwark eval agentdojo: no input given\n${USAGE}`);
    return 2;
  }
  const runs: Run[] = [];
  const errors: string[] = [];
  for (const p of paths) {
    try {
      for (const f of filesOf(p)) {
        if (!['.json', '.jsonl', '.gz'].includes(extname(f))) continue;
        await readRuns(f, runs, errors);
      }
    } catch (err) {
      console.error(`bulwark eval agentdojo: cannot read ${p}: ${(err as Error).message}`);
      return 2;
    }
  }
  for (const e of errors.slice(0, 10)) console.error(`warning: ${e}`);
  if (errors.length > 10) console.error(`warning: … and ${errors.length - 10} more`);
  if (runs.length === 0) {
    console.error('bulwark eval agentdojo: no scorable runs found (expected AgentDojo runs with labels)');
    return 2;
  }
  const tty = process.stderr.isTTY;
  let last = 0;
  const res = evaluateAgentDojo(runs, {
    monotonicMicros: () => performance.now() * 1000,
    onProgress: (done, total) => {
      const now = performance.now();
      if (done !== total && now - last < 200) return;
      last = now;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs`;
      if (tty) process.stderr.write(`\r${bar}${done === total ? '\n' : ''}`);
      else if (done === total) process.stderr.write(`${bar}\n`);
    },
  });
  const s = res.score;
  const table = [
    ['metric', 'value', 'of'],
    ['harm blocked in time', pct(s.harm_blocked_in_time), `${s.harm_runs} runs with a harm call`],
    ['attack detected', pct(s.attack_detected), `${s.succeeded_runs} successful attacks`],
    ['benign false-positive rate', pct(s.benign_fpr), `${s.benign_runs} benign runs`],
    ['benign call block rate', pct(s.benign_call_block_rate), 'tool calls in benign runs'],
    ['attempt alert rate', pct(s.attempt_alert_rate), 'injected runs the model resisted'],
    [
      'verdict latency p50 / p99',
      `${s.verdict_latency_us.p50.toFixed(1)} / ${s.verdict_latency_us.p99.toFixed(1)} µs`,
      'decide() in process, after a warm-up pass on a separate engine',
    ],
    ...(res.coldVerdictLatencyMicros
      ? [
          [
            '  cold (first pass)',
            `${res.coldVerdictLatencyMicros.p50.toFixed(1)} / ${res.coldVerdictLatencyMicros.p99.toFixed(1)} µs`,
            'same runs, JIT cold (information)',
          ],
        ]
      : []),
    [
      'ingest latency p50 / p99',
      `${res.ingestLatencyMicros.p50.toFixed(1)} / ${res.ingestLatencyMicros.p99.toFixed(1)} µs`,
      'one event, on arrival',
    ],
  ];
  const w0 = Math.max(...table.map((r) => r[0]!.length));
  const w1 = Math.max(...table.map((r) => r[1]!.length));
  const text = table.map((r) => `${r[0]!.padEnd(w0)}  ${r[1]!.padStart(w1)}  ${r[2]}`).join('\n');
  if (json) {
    process.stderr.write(`${text}\n`);
    console.log(JSON.stringify(s));
  } else console.log(`${s.runs} runs\n${text}`);
  return 0;
}
