import { describe, expect, it, vi } from 'vitest';
import { BatchQueue } from './batch-queue.js';

interface Item {
  lane: string;
  n: number;
  bytes?: number;
}

const items = (lane: string, count: number, from = 0, bytes = 1): Item[] =>
  Array.from({ length: count }, (_, i) => ({ lane, n: from + i, bytes }));
const fastRetry = { maxAttempts: 2, initialDelayMillis: 1, maxDelayMillis: 2, deadlineMillis: 1_000 };
const retriable = () => Object.assign(new Error('down'), { retriable: true });

describe('BatchQueue', () => {
  it('cuts batches by items and by bytes, in order per lane', async () => {
    const sent: { lane: string; ns: number[] }[] = [];
    const q = new BatchQueue<Item>({
      send: async (lane, batch) => {
        sent.push({ lane, ns: batch.map((b) => b.n) });
      },
      laneOf: (i) => i.lane,
      sizeOf: (i) => i.bytes ?? 0,
      maxBatchItems: 4,
      maxBatchBytes: 25,
      lingerMillis: 60_000,
    });
    q.add([...items('a', 6, 0, 10), ...items('b', 2, 100, 1)]);
    expect(await q.flush(1_000)).toBe(true);
    expect(sent.filter((s) => s.lane === 'a').map((s) => s.ns)).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(sent.filter((s) => s.lane === 'b').map((s) => s.ns)).toEqual([[100, 101]]);
    expect(q.stats()).toMatchObject({ accepted: 8, sent: 8, buffered: 0, bufferedBytes: 0 });
  });

  it('refuses beyond the item and byte bounds, all or nothing; an empty queue may take one oversized add', () => {
    const strict = new BatchQueue<Item>({
      send: async () => {},
      sizeOf: (i) => i.bytes ?? 0,
      maxBufferedItems: 3,
      maxBufferedBytes: 100,
      admitOversizedWhenEmpty: false,
      lingerMillis: 60_000,
    });
    expect(strict.add(items('a', 4))).toEqual({ ok: false, reason: 'full', bound: 'items' });
    expect(strict.add(items('a', 1, 0, 101))).toEqual({ ok: false, reason: 'full', bound: 'bytes' });
    expect(strict.add(items('a', 3)).ok).toBe(true);
    expect(strict.stats().buffered).toBe(3);
    const lenient = new BatchQueue<Item>({ send: async () => {}, maxBufferedItems: 3, lingerMillis: 60_000 });
    expect(lenient.add(items('a', 5)).ok).toBe(true);
    expect(lenient.add(items('a', 1))).toMatchObject({ ok: false, reason: 'full' });
  });

  it('settled is true only after the backend took the items; an outage keeps them and backs off', async () => {
    const state = { down: true };
    const sent: number[] = [];
    const outages: number[] = [];
    const q = new BatchQueue<Item>({
      send: async (_lane, batch) => {
        if (state.down) throw retriable();
        for (const b of batch) sent.push(b.n);
      },
      retry: fastRetry,
      lingerMillis: 5,
      outageBackoffMillis: 5,
      onOutage: (o) => outages.push(o.retryInMillis),
    });
    const res = q.add(items('a', 3));
    if (!res.ok) throw new Error('refused');
    expect(await q.settled(res.mark, 50)).toBe(false);
    expect(q.isHealthy()).toBe(false);
    expect(q.stats().buffered).toBe(3);
    expect(outages.length).toBeGreaterThanOrEqual(1);
    state.down = false;
    expect(await q.settled(res.mark, 2_000)).toBe(true);
    expect(sent).toEqual([0, 1, 2]);
    expect(q.isHealthy()).toBe(true);
  });

  it('group commit: waits within the linger join one batch', async () => {
    const batches: number[] = [];
    const q = new BatchQueue<Item>({
      send: async (_lane, batch) => {
        batches.push(batch.length);
      },
      lingerMillis: 60_000,
    });
    const waits: Promise<boolean>[] = [];
    for (let i = 0; i < 10; i++) {
      q.add(items('a', 5, i * 5));
      waits.push(q.flush(5_000, 20));
    }
    expect(await Promise.all(waits)).toEqual(Array(10).fill(true));
    expect(batches).toEqual([50]);
  });

  it('rescue settles the leading items of a batch that gave up', async () => {
    const rescued: number[][] = [];
    const q = new BatchQueue<Item>({
      send: async () => {
        throw new Error('refused for good');
      },
      rescue: async (_lane, batch) => {
        rescued.push(batch.map((b) => b.n));
        return batch.length;
      },
      retry: fastRetry,
      lingerMillis: 60_000,
    });
    q.add(items('a', 2));
    expect(await q.flush(1_000)).toBe(true);
    expect(rescued).toEqual([[0, 1]]);
    expect(q.stats()).toMatchObject({ sent: 2, buffered: 0, lastError: 'refused for good' });
  });

  it('holds sending until canSend, then kick sends', async () => {
    let ready = false;
    const send = vi.fn(async () => {});
    const q = new BatchQueue<Item>({ send, canSend: () => ready, lingerMillis: 1 });
    q.add(items('a', 2));
    await new Promise((r) => setTimeout(r, 20));
    expect(send).not.toHaveBeenCalled();
    ready = true;
    q.kick();
    expect(await q.flush(1_000)).toBe(true);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('close flushes and refuses later adds; abandon counts what is left as lost and releases waiters', async () => {
    const ok = new BatchQueue<Item>({ send: async () => {}, lingerMillis: 60_000 });
    ok.add(items('a', 3));
    expect(await ok.close(1_000)).toBe(true);
    expect(ok.add(items('a', 1))).toEqual({ ok: false, reason: 'closed' });

    const down = new BatchQueue<Item>({
      send: async () => {
        throw retriable();
      },
      retry: fastRetry,
      lingerMillis: 1,
      outageBackoffMillis: 5,
    });
    const res = down.add(items('a', 4));
    if (!res.ok) throw new Error('refused');
    const waiting = down.settled(res.mark, Number.POSITIVE_INFINITY);
    expect(await down.close(30)).toBe(false);
    expect(await down.abandon()).toBe(4);
    expect(await down.abandon()).toBe(0);
    expect(await waiting).toBe(false);
    expect(down.stats().lost).toBe(4);
  });
});
