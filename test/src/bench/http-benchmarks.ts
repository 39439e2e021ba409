import { createRequire } from 'node:module';
import type { VerdictRequest } from '@bulwark/contracts';
import { percentile } from '@bulwark/detectors';
import { forkStackProcess, type StackChild } from '../demo/stack-child.js';
import type { BenchRow } from './bench-table.js';
import { metricSum, otlpBatchTemplate, stampBatch } from './ingest-benchmarks.js';
import { syntheticSession } from './synthetic-sessions.js';

/** The slice of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  pipelining?: number;
  duration: number;
  overallRate?: number;
  timeout?: number;
  requests: AutocannonRequest[];
}
interface AutocannonResult {
  requests: { total: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(
    event: 'response',
    listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void,
  ): void;
  stop(): void;
}
type Autocannon = (options: AutocannonOptions) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/**
 * Verdict requests as the agent SDK sends them: each carries the events observed since the session's previous
 * request (prompts, completions, ~1 KB tool results) and the pending call. Cycled in order by the load.
 */
function verdictBodies(sessions: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < sessions; i++) {
    const { events, calls } = syntheticSession(i, 3, 'bench-http');
    let pending: typeof events = [];
    let ci = 0;
    for (const e of events) {
      if (e.kind === 'tool_call' && ci < calls.length) {
        bodies.push(JSON.stringify({ ...calls[ci++]!, events: pending } satisfies VerdictRequest));
        pending = [];
      }
      pending.push(e);
    }
    for (; ci < calls.length; ci++) {
      bodies.push(JSON.stringify({ ...calls[ci]!, events: pending } satisfies VerdictRequest));
      pending = [];
    }
  }
  return bodies;
}

interface LoadResult {
  /** Per-response latency in ms (2xx only), measured by autocannon from write to full response. */
  latencies: number[];
  rps: number;
  /** Verdict responses received (any status). */
  total: number;
  non2xx: number;
  errors: number;
  /** The OTLP load, when there was one: requests/s answered 2xx, and how many were not. */
  ingest?: { rps: number; non2xx: number };
}

const INGEST_BATCH_SPANS = 50;
const INGEST_RATE = 100; // batches/s → 5,000 spans/s (10,000 events/s) beside the verdicts

/** Verdict load (and optionally OTLP ingest at the same time) against `url`. */
async function load(
  url: string,
  bodies: string[],
  options: { seconds: number; rate?: number; connections: number; ingest: boolean },
): Promise<LoadResult> {
  let next = 0;
  const verdicts = autocannon({
    url,
    connections: options.connections,
    pipelining: 1,
    duration: options.seconds,
    timeout: 10,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: 'POST',
        path: '/v1/verdicts',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length]! }),
      },
    ],
  });
  const latencies: number[] = [];
  verdicts.on('response', (_c, status, _b, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  let ingest: AutocannonInstance | undefined;
  if (options.ingest) {
    const template = otlpBatchTemplate(INGEST_BATCH_SPANS, 5, 'bench-http-ingest');
    let batch = Math.floor(Math.random() * 1e6) * 1000;
    ingest = autocannon({
      url,
      connections: 4,
      pipelining: 1,
      duration: options.seconds,
      timeout: 10,
      overallRate: INGEST_RATE,
      requests: [
        {
          method: 'POST',
          path: '/v1/traces',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: stampBatch(template, batch++, 4) }),
        },
      ],
    });
  }
  const [res, ing] = await Promise.all([verdicts, ingest]);
  return {
    latencies,
    rps: res.requests.total / res.duration,
    total: res.requests.total,
    non2xx: res.non2xx,
    errors: res.errors + res.timeouts,
    ...(ing
      ? { ingest: { rps: (ing.requests.total - ing.non2xx) / ing.duration, non2xx: ing.non2xx + ing.errors } }
      : {}),
  };
}

const SECONDS = 10;
const RATE = 5_000;
const LOW_RATE = 1_000;
const CONNECTIONS = 16;

interface Servers {
  collector: StackChild;
  empty: StackChild;
  bodies: string[];
}

async function withServers<T>(log: (s: string) => void, body: (s: Servers) => Promise<T>): Promise<T> {
  // Full stack as `bulwark serve` runs it (collector + worker + embedded chdb), in a process of its own.
  const collector = await forkStackProcess({
    mode: 'stack',
    // As `bulwark serve` runs it: the in-process bus with its write-ahead log.
    stack: { port: 0, logLevel: 'error', busMaxBufferedRecords: 200_000, busWal: true },
  });
  const empty = await forkStackProcess({ mode: 'empty' });
  try {
    const bodies = verdictBodies(12_000);
    log(`  ${bodies.length} distinct verdict requests; warming up both servers …`);
    await load(collector.url, bodies, { seconds: 3, rate: RATE, connections: CONNECTIONS, ingest: true });
    await load(empty.url, bodies, { seconds: 2, rate: RATE, connections: CONNECTIONS, ingest: true });
    return await body({ collector, empty, bodies });
  } finally {
    await Promise.all([collector.close(), empty.close()]);
  }
}

const p = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });

async function dropsOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (
    metricSum(text, 'bulwark_collector_dropped_total', /not_agent_span/) +
    metricSum(text, 'bulwark_collector_produce_errors_total')
  );
}

/** `verdict_http_ms`: p50/p99 at a fixed 5,000 verdicts/s, idle and while ingesting, beside an empty handler. */
async function benchLatency(log: (s: string) => void): Promise<BenchRow[]> {
  return withServers(log, async ({ collector, empty, bodies }) => {
    const rows: BenchRow[] = [];
    for (const ingest of [false, true]) {
      const label = ingest ? ' while ingesting' : '';
      const c = await load(collector.url, bodies, {
        seconds: SECONDS,
        rate: RATE,
        connections: CONNECTIONS,
        ingest,
      });
      const e = await load(empty.url, bodies, {
        seconds: SECONDS,
        rate: RATE,
        connections: CONNECTIONS,
        ingest,
      });
      const value = p(c.latencies);
      log(
        `  collector${label}: ${c.rps.toFixed(0)} req/s, p50 ${value.p50.toFixed(3)} ms, p99 ${value.p99.toFixed(3)} ms (non-2xx ${c.non2xx}, errors ${c.errors})`,
      );
      const drops = ingest ? await dropsOf(collector.url) : 0;
      rows.push({
        name: ingest ? 'verdict_http_ms_ingesting' : 'verdict_http_ms',
        unit: 'ms p50 / p99',
        value,
        baseline: p(e.latencies),
        baselineName: 'empty node:http handler, same load',
        goal: 'p99 ≤ 1 at 5,000/s',
        met: value.p99 <= 1 && c.rps >= RATE * 0.98 && c.non2xx === 0 && c.errors === 0,
        note:
          `fixed ${RATE} req/s (autocannon overallRate, ${CONNECTIONS} connections, ${SECONDS} s), got ${c.rps.toFixed(0)}/s; ` +
          `${c.latencies.length} verdicts, non-2xx ${c.non2xx}, errors ${c.errors}` +
          (ingest
            ? `; + OTLP ingest offered ${INGEST_RATE} req/s × ${INGEST_BATCH_SPANS} spans (${INGEST_RATE * INGEST_BATCH_SPANS} spans/s), accepted ${((c.ingest?.rps ?? 0) * INGEST_BATCH_SPANS).toFixed(0)} spans/s, refused/failed ${c.ingest?.non2xx ?? 0} requests; collector drops so far ${drops}`
            : ''),
      });
    }
    // Context for the rows above. autocannon's rate limit lets each connection fire its share of the second's
    // quota back to back at the start of every second, so at 5,000/s the figures include burst queueing (the
    // empty handler shows it too). One connection at 1,000/s — one agent's SDK — measures the cost of a verdict.
    const c = await load(collector.url, bodies, {
      seconds: SECONDS,
      rate: LOW_RATE,
      connections: 1,
      ingest: false,
    });
    const e = await load(empty.url, bodies, {
      seconds: SECONDS,
      rate: LOW_RATE,
      connections: 1,
      ingest: false,
    });
    const value = p(c.latencies);
    log(
      `  collector, one connection at ${LOW_RATE}/s: p50 ${value.p50.toFixed(3)} ms, p99 ${value.p99.toFixed(3)} ms`,
    );
    rows.push({
      name: 'verdict_http_ms_one_agent',
      unit: 'ms p50 / p99',
      value,
      baseline: p(e.latencies),
      baselineName: 'empty node:http handler, same load',
      goal: '(context, no goal)',
      note: `fixed ${LOW_RATE} req/s over ONE keep-alive connection (one agent), ${SECONDS} s, got ${c.rps.toFixed(0)}/s; non-2xx ${c.non2xx}, errors ${c.errors}`,
    });
    return rows;
  });
}

/** `verdict_http_rps`: sustained verdicts/s at max throughput, idle and while ingesting, beside an empty handler. */
async function benchThroughput(log: (s: string) => void): Promise<BenchRow[]> {
  return withServers(log, async ({ collector, empty, bodies }) => {
    const rows: BenchRow[] = [];
    for (const ingest of [false, true]) {
      const label = ingest ? ' while ingesting' : '';
      const cpu0 = await collector.cpuMicros();
      const c = await load(collector.url, bodies, { seconds: SECONDS, connections: CONNECTIONS, ingest });
      const cpuPerVerdict = ((await collector.cpuMicros()) - cpu0) / Math.max(1, c.total);
      const e0 = await empty.cpuMicros();
      const e = await load(empty.url, bodies, { seconds: SECONDS, connections: CONNECTIONS, ingest });
      const emptyCpuPerVerdict = ((await empty.cpuMicros()) - e0) / Math.max(1, e.total);
      const lat = p(c.latencies);
      log(
        `  collector${label}: ${c.rps.toFixed(0)} req/s at max load (p99 ${lat.p99.toFixed(2)} ms, ${cpuPerVerdict.toFixed(0)} server CPU µs per verdict${ingest ? ' incl. ingest' : ''}); empty handler ${e.rps.toFixed(0)} req/s (${emptyCpuPerVerdict.toFixed(0)} CPU µs per request)`,
      );
      rows.push({
        name: ingest ? 'verdict_http_rps_ingesting' : 'verdict_http_rps',
        unit: 'verdicts/s',
        value: c.rps,
        baseline: e.rps,
        baselineName: 'empty node:http handler, same load',
        goal: '≥ 5,000',
        met: c.rps >= 5_000 && c.non2xx === 0 && c.errors === 0,
        note:
          `max throughput, ${CONNECTIONS} connections, ${SECONDS} s; p50/p99 at that load ${lat.p50.toFixed(2)} / ${lat.p99.toFixed(2)} ms; non-2xx ${c.non2xx}, errors ${c.errors}; ` +
          `server CPU ${cpuPerVerdict.toFixed(0)} µs per verdict${ingest ? ' (ingest included)' : ''} (process.cpuUsage of the server process over the load / verdicts answered; empty handler ${emptyCpuPerVerdict.toFixed(0)} µs per request)` +
          (ingest
            ? `; + OTLP ingest offered ${INGEST_RATE * INGEST_BATCH_SPANS} spans/s, accepted ${((c.ingest?.rps ?? 0) * INGEST_BATCH_SPANS).toFixed(0)} spans/s, refused/failed ${c.ingest?.non2xx ?? 0} requests`
            : ''),
      });
    }
    return rows;
  });
}

/** The HTTP benchmarks, for `extra-benchmarks.ts`. */
export const httpBenchmarks = [
  { name: 'verdict_http_ms', run: benchLatency },
  { name: 'verdict_http_rps', run: benchThroughput },
];
