/**
 * Cost of the in-process bus's write-ahead log, same run: records/s and µs per publish (latency of one
 * `publish` of a small batch, like one OTLP request) with and without `walDir`, at a few concurrencies, and
 * fsyncs per publish (group commit). Loopback only, temp directory on the repo's disk.
 *
 *   node --import tsx test/src/bench/bus-wal-benchmark.ts [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InProcessEventBus } from '@bulwark/stream';

const RECORDS = 20_000;
const BATCH = 10;
const value = (i: number) => ({
  kind: 'tool_call',
  eventId: `e${i}`,
  tenantId: 'default',
  sessionId: `s${i % 8}`,
  timestampMillis: Date.now(),
  toolName: 'read_file',
  toolCallId: `call-${i}`,
  arguments: { path: `/tmp/notes-${i}.txt` },
});

async function run(walDir: string | undefined, concurrency: number) {
  const bus = new InProcessEventBus({ maxBufferedRecords: 100_000, ...(walDir ? { walDir } : {}) });
  let handled = 0;
  await bus.subscribe(
    'events',
    async (r) => {
      handled += r.length;
    },
    { groupId: 'bench' },
  );
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const lane = async () => {
    while (next < RECORDS) {
      const from = next;
      next += BATCH;
      const recs = Array.from({ length: BATCH }, (_, i) => ({
        key: `s${(from + i) % 8}`,
        value: value(from + i),
      }));
      const t = performance.now();
      const res = await bus.publish('events', recs);
      latencies.push(performance.now() - t);
      if (!res.ok) throw new Error(res.message);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  const wal = bus.stats().wal;
  await bus.shutdown();
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return {
    wal: walDir !== undefined,
    concurrency,
    recordsPerSecond: Math.round(RECORDS / seconds),
    microsPerPublish: Math.round(mean * 1000),
    p99MicrosPerPublish: Math.round(latencies[Math.floor(latencies.length * 0.99)]! * 1000),
    fsyncs: wal?.commits ?? 0,
    publishesPerFsync: wal ? Math.round((latencies.length / wal.commits) * 10) / 10 : 0,
    microsPerFsync: wal ? Math.round(wal.commitMicros / wal.commits) : 0,
    handled,
  };
}

const root = mkdtempSync(path.join(process.cwd(), '.bench-bus-wal-'));
try {
  const rows = [];
  for (const concurrency of [1, 4, 32]) {
    rows.push(await run(undefined, concurrency));
    rows.push(await run(path.join(root, `c${concurrency}`), concurrency));
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else console.table(rows);
} finally {
  rmSync(root, { recursive: true, force: true });
}
