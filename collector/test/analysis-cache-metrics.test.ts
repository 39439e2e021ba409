// Operators see the engine's shared text-analysis cache (the same prompt text in two sessions is analysed
// once) and the bus write-ahead log on /metrics.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/index.js';
import { http, metricValue, otlpRequest, postJson, promptSpan, startTestCollector } from './helpers.js';

describe('analysis cache on /metrics', () => {
  let c: RunningCollector;
  beforeAll(async () => {
    c = await startTestCollector();
  });
  afterAll(() => c?.close());

  it('counts a hit when a second session sends the same text', async () => {
    const text = 'Summarise the quarterly report and list the open invoices for the finance team.';
    for (const session of ['cache-a', 'cache-b']) {
      const res = await postJson(`${c.url}/v1/traces`, otlpRequest([promptSpan(session, text)]));
      expect(res.status).toBe(200);
      // A verdict applies the session's pending events before deciding.
      const v = await postJson(`${c.url}/v1/verdicts`, {
        sessionId: session,
        toolCall: { toolCallId: `call-${session}`, toolName: 'search', arguments: {} },
      });
      expect(v.status).toBe(200);
    }
    const metrics = (await http(`${c.url}/metrics`)).text;
    expect(metricValue(metrics, 'bulwark_engine_analysis_cache', { stat: 'hits' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(metrics, 'bulwark_engine_analysis_cache', { stat: 'entries' })).toBeGreaterThanOrEqual(
      1,
    );
  });
});

describe('bus write-ahead log on /metrics', () => {
  it('counts the records appended and the syncs that made them durable', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bulwark-wal-metrics-'));
    const c = await startTestCollector({ busWalDir: dir });
    try {
      const res = await postJson(`${c.url}/v1/traces`, otlpRequest([promptSpan('wal-1', 'hello there')]));
      expect(res.status).toBe(200);
      const metrics = (await http(`${c.url}/metrics`)).text;
      expect(metricValue(metrics, 'bulwark_bus_wal', { stat: 'appended_records' })).toBeGreaterThanOrEqual(1);
      expect(metricValue(metrics, 'bulwark_bus_wal', { stat: 'commits' })).toBeGreaterThanOrEqual(1);
      expect(metricValue(metrics, 'bulwark_bus_wal', { stat: 'write_errors' })).toBe(0);
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
