/**
 * Nothing accepted is lost on a clean shutdown: spans the collector answered 200 for are all in the embedded
 * store after `close()`, even when the in-process bus still held them when the shutdown began.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StorageWorker, startCollector } from '@bulwark/collector';
import { DetectionEngine } from '@bulwark/detectors';
import { ChdbEventStore, QUERIES } from '@bulwark/stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { otlpRequest, toolCallSpan } from '../collector/test/helpers.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-shutdown-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('clean shutdown with the in-process bus and the embedded store', () => {
  it('stores every event of every acknowledged request', async () => {
    const logger = pino({ level: 'silent' });
    const collector = await startCollector({
      port: 0,
      env: {},
      logger,
      startWorker: (bus) =>
        StorageWorker.start({
          bus,
          busKind: 'memory',
          env: {},
          store: { dataDir, flushIntervalMillis: 1_000 },
          createEngine: () => new DetectionEngine(),
          logger,
        }),
    });
    let acknowledged = 0;
    const posts = Array.from({ length: 20 }, (_, r) =>
      fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          otlpRequest(Array.from({ length: 50 }, (_, i) => toolCallSpan(`s${r % 4}`, `e${r}-${i}`))),
        ),
      }).then((res) => {
        if (res.status === 200) acknowledged += 50;
      }),
    );
    await Promise.all(posts);
    // Straight into shutdown: most records are still on the bus or in the store's buffer.
    await collector.close();
    expect(acknowledged).toBe(1_000);

    const store = await ChdbEventStore.open({ dataDir });
    try {
      const res = await store.query(QUERIES.tenantStats, { tenantId: 'default' });
      if (!res.ok) throw new Error(res.message);
      expect(res.rows.find((r) => r.table === 'events')?.distinctIds).toBe(acknowledged);
    } finally {
      await store.shutdown();
    }
  }, 60_000);
});
