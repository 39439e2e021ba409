// The engine's shared text-analysis cache is visible to operators: the same prompt text in two sessions is
// analysed once, and /metrics says so.
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
