import { describe, expect, it, vi } from 'vitest';
import { StoreError } from '../errors.js';
import { StreamMetrics } from '../worker/stream-metrics.js';
import { BatchingWriter } from './batching-writer.js';
import type { WritableTable } from './schema.js';
import type { Row } from './store-rows.js';

/** A stand-in table backend recording batches; failures are scripted per call. */
function backend(state: { down: boolean } = { down: false }) {
  const batches: { table: WritableTable; rows: readonly Row[] }[] = [];
  let call = 0;
  const insert = async (table: WritableTable, rows: readonly Row[]) => {
    call += 1;
    if (state.down) throw new StoreError('unavailable', 'connect ECONNREFUSED', { retriable: true });
    if (rows.some((r) => r.poison === true)) {
      throw new StoreError('rejected', 'Code: 27. Cannot parse input', { retriable: false });
    }
    batches.push({ table, rows: [...rows] });
  };
  return { batches, insert, calls: () => call };
}

const rows = (n: number, from = 0): Row[] => Array.from({ length: n }, (_, i) => ({ id: from + i }));
const fastRetry = { maxAttempts: 2, initialDelayMillis: 1, maxDelayMillis: 2, deadlineMillis: 1_000 };

describe('BatchingWriter', () => {
  it('sends a batch as soon as a table reaches maxBatchRows, the rest on the timer', async () => {
    const b = backend();
    const w = new BatchingWriter({ insert: b.insert, maxBatchRows: 10, flushIntervalMillis: 20 });
    expect(w.add([['events', rows(25)]])).toEqual({ ok: true, count: 25 });
    await vi.waitFor(() => expect(b.batches.flatMap((x) => x.rows)).toHaveLength(25));
    expect(b.batches.map((x) => x.rows.length)).toEqual([10, 10, 5]);
    await w.shutdown();
  });

  it('flushes on the timer alone when batches stay small', async () => {
    const b = backend();
    const w = new BatchingWriter({ insert: b.insert, maxBatchRows: 1_000, flushIntervalMillis: 10 });
    w.add([['findings', rows(3)]]);
    await vi.waitFor(() => expect(b.batches).toHaveLength(1));
    expect(w.stats()).toMatchObject({ bufferedRows: 0, writtenRows: 3, healthy: true });
    await w.shutdown();
  });

  it('forceFlush resolves once everything accepted before it is written, in order per table', async () => {
    const b = backend();
    const w = new BatchingWriter({ insert: b.insert, maxBatchRows: 4, flushIntervalMillis: 60_000 });
    w.add([
      ['events', rows(6)],
      ['tool_calls', rows(2, 100)],
    ]);
    await w.forceFlush();
    expect(b.batches.filter((x) => x.table === 'events').flatMap((x) => x.rows.map((r) => r.id))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(b.batches.filter((x) => x.table === 'tool_calls').flatMap((x) => x.rows)).toHaveLength(2);
    await w.shutdown();
  });

  it('whenWritten joins concurrent callers into one batch within the linger, not one insert each', async () => {
    const b = backend();
    const w = new BatchingWriter({ insert: b.insert, maxBatchRows: 10_000, flushIntervalMillis: 60_000 });
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      w.add([['events', rows(50, i * 50)]]);
      waits.push(w.whenWritten(30));
    }
    expect(b.batches).toHaveLength(0);
    await Promise.all(waits);
    // One insert of 1,000 rows for the twenty deliveries (forceFlush after each would have made twenty).
    expect(b.batches.map((x) => x.rows.length)).toEqual([1_000]);
    // Nothing waiting: resolves at once.
    await w.whenWritten(30);
    await w.shutdown();
  });

  it('whenWritten resolves early when a batch fills before the linger ends', async () => {
    const b = backend();
    const w = new BatchingWriter({ insert: b.insert, maxBatchRows: 100, flushIntervalMillis: 60_000 });
    w.add([['events', rows(40)]]);
    const started = Date.now();
    const wait = w.whenWritten(10_000);
    w.add([['events', rows(60, 40)]]);
    await wait;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(b.batches.map((x) => x.rows.length)).toEqual([100]);
    await w.shutdown();
  });

  it('retries retriable failures and keeps rows through an outage, pushing back when full', async () => {
    const metrics = new StreamMetrics();
    const state = { down: true };
    const b = backend(state);
    const w = new BatchingWriter({
      insert: b.insert,
      maxBatchRows: 100,
      maxBufferedRows: 10,
      flushIntervalMillis: 5,
      retry: fastRetry,
      outageBackoffMillis: 5,
      metrics,
    });
    expect(w.add([['events', rows(8)]]).ok).toBe(true);
    await vi.waitFor(() => expect(w.stats().healthy).toBe(false));
    const refused = w.add([['events', rows(5, 8)]]);
    expect(refused).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(b.batches).toHaveLength(0);
    state.down = false;
    await w.forceFlush();
    expect(b.batches.flatMap((x) => x.rows)).toHaveLength(8);
    expect(w.stats()).toMatchObject({ healthy: true, bufferedRows: 0 });
    expect(metrics.value('store_flush_failures_total')).toBeGreaterThanOrEqual(1);
    expect(metrics.value('store_rows_rejected_total')).toBe(5);
    expect(w.add([['events', rows(5, 8)]]).ok).toBe(true);
    await w.shutdown();
  });

  it('answers backpressure (not unavailable) when the buffer is full but healthy', () => {
    const w = new BatchingWriter({ insert: async () => {}, maxBufferedRows: 3, flushIntervalMillis: 60_000 });
    expect(w.add([['events', rows(3)]]).ok).toBe(true);
    expect(w.add([['events', rows(1)]])).toMatchObject({
      ok: false,
      reason: 'backpressure',
      retryAfterMillis: 60_000,
    });
  });

  it('finds rows ClickHouse refuses for good by halving and keeps them as dead letters', async () => {
    const metrics = new StreamMetrics();
    const b = backend();
    const w = new BatchingWriter({
      insert: b.insert,
      maxBatchRows: 8,
      flushIntervalMillis: 60_000,
      retry: fastRetry,
      metrics,
    });
    const batch = rows(8);
    batch[5] = { id: 5, poison: true, tenant_id: 'acme' };
    w.add([['findings', batch]]);
    await w.forceFlush();
    const written = b.batches.filter((x) => x.table === 'findings').flatMap((x) => x.rows.map((r) => r.id));
    expect(written.sort()).toEqual([0, 1, 2, 3, 4, 6, 7]);
    const dead = b.batches.filter((x) => x.table === 'dead_letters').flatMap((x) => x.rows);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ source: 'store.findings', tenant_id: 'acme', channel: 'clickhouse' });
    expect(JSON.parse(String(dead[0]!.payload))).toEqual([{ id: 5, poison: true, tenant_id: 'acme' }]);
    expect(metrics.value('store_rows_dead_lettered_total', { table: 'findings' })).toBe(1);
    await w.shutdown();
  });

  it('forceFlush rejects with a retriable StoreError after its timeout; the rows stay buffered', async () => {
    const w = new BatchingWriter({
      insert: async () => {
        throw new StoreError('unavailable', 'down', { retriable: true });
      },
      flushIntervalMillis: 5,
      retry: fastRetry,
      outageBackoffMillis: 5,
    });
    w.add([['events', rows(2)]]);
    const err = await w.forceFlush(50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).retriable).toBe(true);
    expect(w.stats().bufferedRows).toBe(2);
  });

  it('refuses writes after shutdown', async () => {
    const w = new BatchingWriter({ insert: async () => {} });
    await w.shutdown();
    expect(w.add([['events', rows(1)]])).toMatchObject({ ok: false, reason: 'closed' });
  });
});
