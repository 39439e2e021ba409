import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sessionKey } from '@bulwark/contracts';
import { ChdbEventStore, InProcessEventBus, QUERIES, StreamWorker } from '@bulwark/stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { finding, injectionSession } from './fixtures/sample-records.js';

describe('StreamWorker with detect: false (the collector in the same process already evaluated each event)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-worker-nodetect-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stores the events without evaluating them again; inline findings still make incidents', async () => {
    const store = await ChdbEventStore.open({ dataDir, batching: { flushIntervalMillis: 20 } });
    const bus = new InProcessEventBus();
    const worker = new StreamWorker({ bus, store, detect: false, flushBusBeforeCommit: false });
    await worker.start();
    try {
      const events = injectionSession('t1', 's1', Date.now() - 10_000);
      await bus.publish(
        'events',
        events.map((e) => ({ key: sessionKey(e.tenantId, e.sessionId), value: e })),
      );
      const stats = async () => {
        const r = await store.query(QUERIES.tenantStats, { tenantId: 't1' });
        if (!r.ok) throw new Error(r.message);
        return Object.fromEntries(r.rows.map((x) => [x.table, x.distinctIds]));
      };
      await vi.waitFor(async () => expect((await stats()).events).toBe(events.length), { timeout: 20_000 });
      expect((await stats()).findings ?? 0).toBe(0);
      expect((await stats()).verdicts ?? 0).toBe(0);
      // The collector publishes its inline findings; the worker stores them and opens the incident.
      const f = finding({ findingId: 'inline-1', tenantId: 't1', sessionId: 's1' });
      await bus.publish('findings', [{ key: sessionKey('t1', 's1'), value: f }]);
      await vi.waitFor(async () => expect((await stats()).alerts).toBe(1), { timeout: 20_000 });
    } finally {
      await worker.shutdown();
      await bus.shutdown();
      await store.shutdown();
    }
  });
});
