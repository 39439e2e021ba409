import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentEvent } from '@bulwark/contracts';
import { ChdbEventStore } from '@bulwark/stream';

/** What the parent sends: the events to store (as JSON) and the batch size. */
export interface ChdbInsertRequest {
  events: AgentEvent[];
  batchRows: number;
}
/** What this process answers: CPU µs (user + system, every thread) and wall seconds of the inserts alone. */
export interface ChdbInsertResult {
  cpuMicros: number;
  seconds: number;
  rows: number;
  error?: string;
}

/**
 * Child-process entry for the ingest baseline "chdb bulk insert of the same rows": a fresh embedded store
 * (chdb binds one data directory per process, hence a process of its own) gets the events in batches of
 * `batchRows` and is flushed; the time and CPU of that alone are sent back over IPC.
 */
async function main(): Promise<void> {
  const req = await new Promise<ChdbInsertRequest>((resolve) => process.once('message', resolve));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-chdb-'));
  try {
    const store = await ChdbEventStore.open({
      dataDir: dir,
      batching: { maxBatchRows: req.batchRows, maxBufferedRows: req.events.length * 2 },
    });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < req.events.length; i += req.batchRows) {
      store.appendEvents(req.events.slice(i, i + req.batchRows));
    }
    await store.forceFlush();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await store.shutdown();
    process.send?.({
      cpuMicros: cpu.user + cpu.system,
      seconds,
      rows: req.events.length,
    } satisfies ChdbInsertResult);
  } catch (err) {
    process.send?.({
      cpuMicros: 0,
      seconds: 0,
      rows: 0,
      error: (err as Error).message,
    } satisfies ChdbInsertResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.disconnect?.();
}

void main();
