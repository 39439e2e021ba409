// Issue 16 defects 3 and 9 at the collector's edge: far span times are kept at received time and counted;
// values that cannot be stored (1e300, lone surrogates, NUL in ids) are refused with a status that says why —
// 400 on the verdict route, OTLP partial success (`rejectedSpans` + `errorMessage`, HTTP 200) on /v1/traces,
// as the OTLP spec asks for spans the server will not accept (the exporter must not retry them).
import type { AgentEvent } from '@bulwark/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/index.js';
import {
  http,
  metricValue,
  otlpRequest,
  postJson,
  recordingBus,
  startTestCollector,
  toolCallSpan,
  waitFor,
} from './helpers.js';

const DAY = 86_400_000;
const nanos = (millis: number) => (BigInt(millis) * 1_000_000n).toString();
function spanAt(session: string, eventId: string, millis: number | string) {
  const span = toolCallSpan(session, eventId);
  const start = typeof millis === 'number' ? nanos(millis) : millis;
  return { ...span, startTimeUnixNano: start, endTimeUnixNano: start };
}

describe('collector edge: received time and validation', () => {
  let collector: RunningCollector;
  let recorded: Awaited<ReturnType<typeof recordingBus>>;
  beforeAll(async () => {
    recorded = await recordingBus('events');
    collector = await startTestCollector({ eventBus: recorded.bus });
  });
  afterAll(() => collector?.close());
  const traces = () => `${collector.url}/v1/traces`;
  const verdicts = () => `${collector.url}/v1/verdicts`;
  const published = () => recorded.records.map((r) => r.value as AgentEvent);

  it('keeps spans claiming 1970, 40 days ago and 2200 at received time, and counts them', async () => {
    const before = Date.now();
    const claims: [string, number][] = [
      ['e-1970', 0],
      ['e-40d', before - 40 * DAY],
      ['e-2200', Date.UTC(2200, 0, 1)],
    ];
    const res = await postJson(
      traces(),
      otlpRequest([...claims.map(([id, t]) => spanAt('s-skew', id, t)), spanAt('s-skew', 'e-now', before)]),
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({});
    await waitFor(() => published().filter((e) => e.sessionId === 's-skew').length === 4, 5_000, 'events');
    const after = Date.now();
    for (const [id, claimed] of claims) {
      const e = published().find((x) => x.eventId === id)!;
      expect(e.claimedTimestampMillis, id).toBeCloseTo(claimed, 0);
      expect(e.receivedAtMillis).toBeGreaterThanOrEqual(before);
      expect(e.receivedAtMillis).toBeLessThanOrEqual(after);
      expect(Math.abs(e.timestampMillis - e.receivedAtMillis!)).toBeLessThanOrEqual(5 * 60_000);
    }
    const now = published().find((x) => x.eventId === 'e-now')!;
    expect(now.timestampMillis).toBeCloseTo(before, 0);
    expect(now.claimedTimestampMillis).toBeUndefined();
    const metrics = (await http(`${collector.url}/metrics`)).text;
    expect(metricValue(metrics, 'bulwark_events_clock_skew_total', { source: 'otlp' })).toBe(3);
  });

  it('rejects spans it cannot store with OTLP partial success and keeps the rest', async () => {
    // A lone surrogate in the tool call id (JSON.stringify escapes it as \ud800, JSON.parse restores it).
    const surrogate = toolCallSpan('s-bad', 'b-surrogate');
    surrogate.attributes = surrogate.attributes.map((a) =>
      a.key === 'gen_ai.tool.call.id' ? { key: a.key, value: { stringValue: 'call-\uD800' } } : a,
    );
    const bad = [
      // 1e300 ns as a JSON number: not a fixed64.
      { ...toolCallSpan('s-bad', 'b-time'), startTimeUnixNano: 1e300 },
      // 21 digits: beyond uint64.
      spanAt('s-bad', 'b-digits', '999999999999999999999'),
      surrogate,
      toolCallSpan('s-bad\u0000other', 'b-nul'),
    ];
    const res = await postJson(traces(), otlpRequest([...bad, toolCallSpan('s-bad', 'b-good')]));
    expect(res.status).toBe(200);
    const body = res.json as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe(4);
    expect(body.partialSuccess.errorMessage).toMatch(/unsigned 64-bit integers/);
    expect(body.partialSuccess.errorMessage).toMatch(/toolCallId: must not contain control characters/);
    expect(body.partialSuccess.errorMessage).toMatch(/sessionId: must not contain control characters/);
    await waitFor(() => published().some((e) => e.eventId === 'b-good'), 5_000, 'the good span');
    expect(published().filter((e) => e.eventId.startsWith('b-') && e.eventId !== 'b-good')).toEqual([]);
  });

  const verdictBody = (extra: Record<string, unknown> = {}, call: Record<string, unknown> = {}) => ({
    sessionId: 's-v',
    toolCall: { toolCallId: 'c1', toolName: 'read_file', arguments: {}, ...call },
    ...extra,
  });

  it.each([
    [
      'timestampMillis: 1e300',
      verdictBody({ timestampMillis: 1e300 }),
      /timestampMillis: must be epoch milliseconds/,
    ],
    [
      'a lone surrogate in toolCallId',
      verdictBody({}, { toolCallId: 'c\uD800' }),
      /toolCall\.toolCallId: must not/,
    ],
    [
      'NUL in sessionId',
      verdictBody({ sessionId: 'a\u0000b' }),
      /sessionId: must not contain control characters/,
    ],
    [
      'NUL in tenantId',
      verdictBody({ tenantId: 't\u0000' }),
      /tenantId: must not contain control characters/,
    ],
    [
      'a lone surrogate in an argument',
      verdictBody({}, { arguments: { p: '\uDC00' } }),
      /toolCall\.arguments\.p: /,
    ],
    [
      'an event at 1e300',
      verdictBody({
        events: [
          {
            kind: 'prompt',
            eventId: 'p',
            sessionId: 's-v',
            timestampMillis: 1e300,
            role: 'user',
            content: 'x',
          },
        ],
      }),
      /events\.0\.timestampMillis: /,
    ],
  ])('answers 400 to a verdict request with %s', async (_label, body, message) => {
    const res = await postJson(verdicts(), body);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'invalid_request' } });
    expect(res.text).toMatch(message);
  });

  it('keeps events carried in a verdict request at received time too, and counts them', async () => {
    const res = await postJson(
      verdicts(),
      verdictBody({
        sessionId: 's-v-skew',
        events: [
          {
            kind: 'prompt',
            eventId: 'vp-1970',
            sessionId: 's-v-skew',
            timestampMillis: 0,
            role: 'user',
            content: 'x',
          },
        ],
      }),
    );
    expect(res.status).toBe(200);
    await waitFor(() => published().some((e) => e.eventId === 'vp-1970'), 5_000, 'the event');
    const e = published().find((x) => x.eventId === 'vp-1970')!;
    expect(e.claimedTimestampMillis).toBe(0);
    expect(Math.abs(e.timestampMillis - e.receivedAtMillis!)).toBeLessThanOrEqual(5 * 60_000);
    const metrics = (await http(`${collector.url}/metrics`)).text;
    expect(metricValue(metrics, 'bulwark_events_clock_skew_total', { source: 'verdict_request' })).toBe(1);
  });

  it('still answers a valid verdict request', async () => {
    const res = await postJson(verdicts(), verdictBody({ timestampMillis: Date.now() }));
    expect(res.status).toBe(200);
  });
});
