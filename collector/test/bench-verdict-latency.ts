// Measures POST /v1/verdicts latency at a fixed rate, alone and while OTLP ingest keeps the collector busy.
// Not a test (no thresholds): run it and read the numbers.
//
//   npm run build && node --import tsx collector/test/bench-verdict-latency.ts [rate=5000] [seconds=10]
//
// The collector runs as its own process (cli/dist/cli.js serve); the verdict load generator and the
// ingest load generator run in two more processes, so on a 2-core machine all three compete for CPU: the
// client-side numbers are an upper bound of what the collector alone costs.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { OtlpProto } from '../src/otlp/otlp-proto.js';

const HERE = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(HERE), '..', '..');

function verdictBodies(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      sessionId: `bench-${i}`,
      toolCall: {
        toolCallId: `c-${i}`,
        toolName: 'send_email',
        arguments: { to: 'someone@example.com', body: 'hello' },
      },
      events: [
        {
          kind: 'prompt',
          eventId: `p-${i}`,
          sessionId: `bench-${i}`,
          timestampMillis: Date.now(),
          role: 'user',
          content: 'Summarise my unread email and reply to the important ones.',
        },
      ],
    }),
  );
}

function ingestBody(spans: number): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const list = Array.from({ length: spans }, (_, i) => ({
    traceId: Buffer.from(`${'0'.repeat(24)}${String(i + 1).padStart(8, '0')}`, 'hex'),
    spanId: Buffer.from(`${'0'.repeat(8)}${String(i + 1).padStart(8, '0')}`, 'hex'),
    name: 'tools/call read_file',
    startTimeUnixNano: now.toString(),
    endTimeUnixNano: (now + 1_000_000n).toString(),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } },
      { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
      { key: 'gen_ai.conversation.id', value: { stringValue: `ingest-${i % 50}` } },
      { key: 'gen_ai.tool.name', value: { stringValue: 'read_file' } },
      { key: 'gen_ai.tool.call.id', value: { stringValue: `call-${i}` } },
      {
        key: 'gen_ai.tool.call.arguments',
        value: { stringValue: JSON.stringify({ path: `/tmp/file-${i}.txt` }) },
      },
      { key: 'gen_ai.tool.call.result', value: { stringValue: 'lorem ipsum '.repeat(80) } },
    ],
  }));
  const T = OtlpProto.ExportTraceServiceRequest;
  return Buffer.from(T.encode(T.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: list }] }] })).finish());
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Open-loop load at `rate` rps: latency counted from the scheduled send time (no coordinated omission). */
async function verdictLoad(url: string, rate: number, seconds: number) {
  const pool = new Pool(url, { connections: 64, pipelining: 1 });
  const bodies = verdictBodies(200);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const total = rate * seconds;
  const start = performance.now();
  const inflight = new Set<Promise<void>>();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) {
      const scheduled = start + (sent / rate) * 1000;
      const body = bodies[sent % bodies.length]!;
      sent += 1;
      const p = pool
        .request({
          path: '/v1/verdicts',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 200) errors += 1;
          else latencies.push(performance.now() - scheduled);
        })
        .catch(() => {
          errors += 1;
        })
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: sent,
    errors,
    achievedRps: Math.round(latencies.length / elapsed),
    p50ms: +percentile(latencies, 50).toFixed(3),
    p99ms: +percentile(latencies, 99).toFixed(3),
    p999ms: +percentile(latencies, 99.9).toFixed(3),
    maxms: +(latencies.at(-1) ?? Number.NaN).toFixed(3),
  };
}

/**
 * Child mode: OTLP protobuf ingest of 100-span requests until told to stop, reporting spans/s. `spansPerSecond`
 * > 0 paces it (open loop); 0 saturates it (closed loop over 4 connections).
 */
async function ingestLoad(url: string, spansPerSecond: number) {
  const pool = new Pool(url, { connections: 4 });
  const body = ingestBody(100);
  let spans = 0;
  let refused = 0;
  let stop = false;
  const started = performance.now();
  process.on('message', () => {
    stop = true;
  });
  const send = async () => {
    const res = await pool.request({
      path: '/v1/traces',
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    await res.body.dump();
    if (res.statusCode === 200) spans += 100;
    else refused += 1;
  };
  if (spansPerSecond > 0) {
    let sent = 0;
    const inflight = new Set<Promise<void>>();
    while (!stop) {
      const due = Math.floor(((performance.now() - started) / 1000) * (spansPerSecond / 100));
      while (sent < due) {
        sent += 1;
        const p = send().finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inflight);
  } else {
    const worker = async () => {
      while (!stop) await send();
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }
  process.send?.({ spansPerSecond: Math.round(spans / ((performance.now() - started) / 1000)), refused });
  await pool.close();
  process.exit(0);
}

/** Server-side view: share of verdicts handled within 0.5 / 1 ms (handler entry to response written), from /metrics. */
async function serverView(url: string, previous?: { le05: number; le1: number; all: number }) {
  const pool = new Pool(url);
  const res = await pool.request({ path: '/metrics', method: 'GET' });
  const text = await res.body.text();
  await pool.close();
  const sample = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  const now = {
    le05: sample(/verdict_duration_seconds_bucket\{le="0\.0005"\} (\S+)/),
    le1: sample(/verdict_duration_seconds_bucket\{le="0\.001"\} (\S+)/),
    all: sample(/verdict_duration_seconds_count (\S+)/),
  };
  const d = previous
    ? { le05: now.le05 - previous.le05, le1: now.le1 - previous.le1, all: now.all - previous.all }
    : now;
  return {
    totals: now,
    view: {
      handledWithin0_5ms: `${((100 * d.le05) / d.all).toFixed(2)}%`,
      handledWithin1ms: `${((100 * d.le1) / d.all).toFixed(2)}%`,
    },
  };
}

/** CPU seconds (user + system) the process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function startServer(env: Record<string, string>): Promise<{ server: ChildProcess; url: string }> {
  const server: ChildProcess = spawn(
    process.execPath,
    [path.join(REPO, 'cli/dist/cli.js'), 'serve', '--port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m) resolve(m[1]!);
    });
    server.once('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
  return { server, url };
}

async function main() {
  if (process.argv[2] === '--ingest-load') return ingestLoad(process.argv[3]!, Number(process.argv[4] ?? 0));
  const rate = Number(process.argv[2] ?? 5000);
  const seconds = Number(process.argv[3] ?? 10);
  // A/B: ingest work in one go per request (slice 1000 ms) versus the default 0.25 ms slices.
  for (const slice of ['1000', '0.25']) {
    const { server, url } = await startServer({ BULWARK_INGEST_SLICE_MILLIS: slice });
    try {
      await verdictLoad(url, 1000, 2); // warm-up (JIT, connections)
      let mark = (await serverView(url)).totals;
      const phases: [string, number | undefined][] = [
        ['verdicts only', undefined],
        ['verdicts + ingest 5000 spans/s', 5000],
        ['verdicts + saturating ingest', 0],
      ];
      for (const [phase, ingestRate] of phases) {
        const ingest =
          ingestRate === undefined
            ? undefined
            : fork(HERE, ['--ingest-load', url, String(ingestRate)], { execArgv: ['--import', 'tsx'] });
        if (ingest) await new Promise((r) => setTimeout(r, 1_000));
        const cpuBefore = cpuSeconds(server.pid!);
        const client = await verdictLoad(url, rate, seconds);
        const serverCpuShare = +((cpuSeconds(server.pid!) - cpuBefore) / seconds).toFixed(2);
        const ingested = ingest
          ? await new Promise<unknown>((resolve) => {
              ingest.once('message', resolve);
              ingest.send('stop');
            })
          : undefined;
        const { totals, view } = await serverView(url, mark);
        mark = totals;
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
        console.log(
          JSON.stringify({
            ingestSliceMillis: Number(slice),
            phase,
            rate,
            client,
            server: { ...view, cpuCores: serverCpuShare },
            ingest: ingested,
            loadavg: load,
          }),
        );
      }
    } finally {
      server.kill('SIGTERM');
    }
  }
}

await main();
