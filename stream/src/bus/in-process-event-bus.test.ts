import type { BusRecord } from '@bulwark/contracts';
import { describe, expect, it } from 'vitest';
import { StreamConfigError } from '../errors.js';
import { InProcessEventBus } from './in-process-event-bus.js';

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

const recs = (n: number, from = 0): BusRecord<number>[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 3}`, value: from + i }));

describe('InProcessEventBus', () => {
  it('answers backpressure while a slow consumer group holds the buffer, then accepts again', async () => {
    const bus = new InProcessEventBus({ maxBufferedRecords: 5, maxBatchRecords: 5 });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const got: number[] = [];
    await bus.subscribe<number>(
      'events',
      async (records) => {
        await gate;
        for (const r of records) got.push(r.value);
      },
      { groupId: 'slow' },
    );
    expect(await bus.publish('events', recs(5))).toEqual({ ok: true, count: 5 });
    const full = await bus.publish('events', recs(1, 5));
    expect(full).toMatchObject({ ok: false, reason: 'backpressure' });
    expect(bus.stats().backpressured).toBe(1);
    release();
    await until(() => got.length === 5);
    expect(await bus.publish('events', recs(1, 5))).toEqual({ ok: true, count: 1 });
    await bus.shutdown();
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps the newest records for a later subscriber when nobody listens, counting evictions', async () => {
    const bus = new InProcessEventBus({ maxBufferedRecords: 4 });
    for (let i = 0; i < 10; i += 1) expect((await bus.publish('events', recs(1, i))).ok).toBe(true);
    expect(bus.stats().evicted).toBe(6);
    const got: number[] = [];
    await bus.subscribe<number>('events', async (r) => void got.push(...r.map((x) => x.value)), {
      groupId: 'late',
      fromBeginning: true,
    });
    await until(() => got.length === 4);
    expect(got).toEqual([6, 7, 8, 9]);
    await bus.shutdown();
  });

  it('gives every group every record and lets group members share the work in order', async () => {
    const bus = new InProcessEventBus({ maxBatchRecords: 2 });
    const a: number[] = [];
    const b1: number[] = [];
    const b2: number[] = [];
    const bAll: number[] = [];
    await bus.subscribe<number>('verdicts', async (r) => void a.push(...r.map((x) => x.value)), {
      groupId: 'a',
    });
    await bus.subscribe<number>(
      'verdicts',
      async (r) => {
        b1.push(...r.map((x) => x.value));
        bAll.push(...r.map((x) => x.value));
      },
      { groupId: 'b' },
    );
    await bus.subscribe<number>(
      'verdicts',
      async (r) => {
        b2.push(...r.map((x) => x.value));
        bAll.push(...r.map((x) => x.value));
      },
      { groupId: 'b' },
    );
    await bus.publish('verdicts', recs(10));
    await bus.forceFlush();
    expect(a).toEqual([...Array(10).keys()]);
    expect(bAll).toEqual([...Array(10).keys()]);
    expect(b1.length).toBeGreaterThan(0);
    expect(b2.length).toBeGreaterThan(0);
    await bus.shutdown();
  });

  it('resumes a group from its committed position after all members left and one returns', async () => {
    const bus = new InProcessEventBus();
    const got: number[] = [];
    const sub = await bus.subscribe<number>('alerts', async (r) => void got.push(...r.map((x) => x.value)), {
      groupId: 'g',
    });
    await bus.publish('alerts', recs(3));
    await bus.forceFlush();
    await sub.close();
    await bus.publish('alerts', recs(2, 3));
    await bus.subscribe<number>('alerts', async (r) => void got.push(...r.map((x) => x.value)), {
      groupId: 'g',
    });
    await until(() => got.length === 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await bus.shutdown();
  });

  it('closing a subscription whose handler keeps failing returns promptly and keeps the batch', async () => {
    const bus = new InProcessEventBus({
      redeliveryInitialDelayMillis: 10_000,
      redeliveryMaxDelayMillis: 10_000,
    });
    let calls = 0;
    const sub = await bus.subscribe(
      'events',
      async () => {
        calls += 1;
        throw new Error('always');
      },
      { groupId: 'g' },
    );
    await bus.publish('events', recs(1));
    await until(() => calls >= 1);
    const started = Date.now();
    await sub.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    const got: number[] = [];
    await bus.subscribe<number>('events', async (r) => void got.push(...r.map((x) => x.value)), {
      groupId: 'g',
    });
    await until(() => got.length === 1);
    expect(bus.stats().handlerErrors).toBeGreaterThanOrEqual(1);
    await bus.shutdown();
  });

  it('rejects invalid options listing every bad key', () => {
    expect(() => new InProcessEventBus({ maxBufferedRecords: 0, flushTimeoutMillis: -1 })).toThrow(
      StreamConfigError,
    );
    try {
      new InProcessEventBus({ maxBufferedRecords: 0, flushTimeoutMillis: -1 });
    } catch (err) {
      expect((err as StreamConfigError).issues).toHaveLength(2);
    }
  });
});
