import { randomBytes } from 'node:crypto';
import type { BusRecord, BusSubscription, EventBus } from '@bulwark/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

/** How the contract suite gets buses of one implementation. */
export interface EventBusHarness {
  /**
   * Opens a bus over `namespace`. Buses opened with the same namespace share their records when the
   * implementation is durable (Kafka: same topics); different namespaces never see each other's records.
   */
  open(namespace: string, options?: { maxBufferedRecords?: number }): Promise<EventBus>;
  /** True when records outlive the bus that accepted them (Kafka), false for the in-process bus. */
  durable: boolean;
  /** Upper bound for one contract test, ms. */
  testTimeoutMillis?: number;
}

interface Item {
  id: string;
  seq: number;
}

const uniqueNamespace = (label: string) =>
  `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** Publishes 200 records, shuts down, and finds them all (subscribed before, or a fresh reader when durable). */
async function flushesOnShutdown(
  harness: EventBusHarness,
  open: (ns: string) => Promise<EventBus>,
  subscriptions: BusSubscription[],
  deliveryTimeout: number,
): Promise<void> {
  const ns = uniqueNamespace('flush');
  const bus = await open(ns);
  const ids = new Set<string>();
  const collect = async (records: readonly BusRecord<Item>[]) => {
    for (const r of records) ids.add(r.value.id);
  };
  if (!harness.durable) {
    subscriptions.push(await bus.subscribe<Item>('findings', collect, { groupId: 'flush' }));
  }
  const n = 200;
  for (let i = 0; i < n; i += 20) {
    const chunk = Array.from({ length: 20 }, (_, j) => ({
      key: `s${(i + j) % 7}`,
      value: { id: `f${i + j}`, seq: i + j },
    }));
    expect((await bus.publish('findings', chunk)).ok).toBe(true);
  }
  await bus.shutdown();
  if (harness.durable) {
    // A fresh reader of the same topics must find everything the closed bus accepted.
    const reader = await open(ns);
    subscriptions.push(
      await reader.subscribe<Item>('findings', collect, {
        groupId: 'flush-reader',
        fromBeginning: true,
      }),
    );
    await waitFor(() => ids.size === n, deliveryTimeout, `${n} records from a fresh reader`);
  }
  expect(ids.size).toBe(n);
}

/**
 * The one behavioural contract every `EventBus` implementation must meet: per-key order, at-least-once
 * redelivery after a handler failure, backpressure as a value, shutdown that flushes what it accepted,
 * and `isReady`.
 *
 * @example
 * describeEventBusContract('InProcessEventBus', { durable: false, open: async (_ns, o) => new InProcessEventBus(o) });
 */
export function describeEventBusContract(name: string, harness: EventBusHarness): void {
  const timeout = harness.testTimeoutMillis ?? 20_000;
  const deliveryTimeout = Math.max(1_000, timeout - 5_000);

  describe(`EventBus contract: ${name}`, () => {
    const opened: EventBus[] = [];
    const subscriptions: BusSubscription[] = [];
    const open = async (ns: string, options?: { maxBufferedRecords?: number }) => {
      const bus = await harness.open(ns, options);
      opened.push(bus);
      return bus;
    };

    afterEach(async () => {
      await Promise.allSettled(subscriptions.splice(0).map((s) => s.close()));
      await Promise.allSettled(opened.splice(0).map((b) => b.shutdown()));
    });

    it(
      'is ready once open, accepts records, and refuses them after shutdown',
      async () => {
        const bus = await open(uniqueNamespace('ready'));
        expect(bus.isReady()).toBe(true);
        const res = await bus.publish('events', [
          { key: 'k', value: { id: 'a', seq: 0 } },
          { key: 'k', value: { id: 'b', seq: 1 } },
        ]);
        expect(res).toEqual({ ok: true, count: 2 });
        await bus.shutdown();
        expect(bus.isReady()).toBe(false);
        const after = await bus.publish('events', [{ key: 'k', value: { id: 'c', seq: 2 } }]);
        expect(after.ok).toBe(false);
        if (!after.ok) expect(after.reason).toBe('closed');
      },
      timeout,
    );

    it(
      'delivers every record of one key in publish order',
      async () => {
        const bus = await open(uniqueNamespace('order'));
        const seen = new Map<string, number[]>();
        const ids = new Set<string>();
        subscriptions.push(
          await bus.subscribe<Item>(
            'events',
            async (records) => {
              for (const r of records) {
                ids.add(r.value.id);
                const list = seen.get(r.key) ?? [];
                list.push(r.value.seq);
                seen.set(r.key, list);
              }
            },
            { groupId: 'order', fromBeginning: true },
          ),
        );
        const keys = ['tenant\u0000s1', 'tenant\u0000s2', 'other\u0000s1'];
        const perKey = 40;
        for (let seq = 0; seq < perKey; seq += 1) {
          const batch: BusRecord<Item>[] = keys.map((key) => ({ key, value: { id: `${key}:${seq}`, seq } }));
          const res = await bus.publish('events', batch);
          expect(res.ok).toBe(true);
        }
        await bus.forceFlush();
        await waitFor(() => ids.size === keys.length * perKey, deliveryTimeout, 'all records');
        for (const key of keys) {
          const got = seen.get(key) ?? [];
          // At least once may repeat a record; order is judged on first deliveries.
          const firsts = got.filter((s, i) => got.indexOf(s) === i);
          expect(firsts).toEqual(Array.from({ length: perKey }, (_, i) => i));
        }
      },
      timeout,
    );

    it(
      'redelivers a batch whose handler threw (at least once)',
      async () => {
        const bus = await open(uniqueNamespace('redeliver'));
        const count = new Map<string, number>();
        let failures = 0;
        subscriptions.push(
          await bus.subscribe<Item>(
            'events',
            async (records) => {
              if (failures < 2 && records.some((r) => r.value.seq === 5)) {
                failures += 1;
                throw new Error('simulated handler failure');
              }
              for (const r of records) count.set(r.value.id, (count.get(r.value.id) ?? 0) + 1);
            },
            { groupId: 'redeliver', fromBeginning: true },
          ),
        );
        const records = Array.from({ length: 10 }, (_, seq) => ({ key: 'k', value: { id: `r${seq}`, seq } }));
        expect((await bus.publish('events', records)).ok).toBe(true);
        await bus.forceFlush();
        await waitFor(() => count.size === 10, deliveryTimeout, 'all 10 records after the failures');
        expect(failures).toBe(2);
        expect(count.get('r5')).toBeGreaterThanOrEqual(1);
      },
      timeout,
    );

    it(
      'answers backpressure as a value instead of growing past maxBufferedRecords',
      async () => {
        const bus = await open(uniqueNamespace('backpressure'), { maxBufferedRecords: 10 });
        const tooMany = Array.from({ length: 11 }, (_, seq) => ({ key: 'k', value: { id: `b${seq}`, seq } }));
        const res = await bus.publish('events', tooMany);
        expect(res.ok).toBe(false);
        if (!res.ok) {
          expect(['backpressure', 'unavailable']).toContain(res.reason);
          expect(res.retryAfterMillis).toBeGreaterThan(0);
          expect(res.message).toMatch(/maxBufferedRecords/);
        }
        const fits = await bus.publish('events', tooMany.slice(0, 5));
        expect(fits).toEqual({ ok: true, count: 5 });
      },
      timeout,
    );

    it(
      'flushes every accepted record on shutdown',
      () => flushesOnShutdown(harness, open, subscriptions, deliveryTimeout),
      timeout,
    );
  });
}
