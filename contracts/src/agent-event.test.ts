import { describe, expect, it } from 'vitest';
import {
  AgentEventSchema,
  CLOCK_SKEW_BOUNDS,
  findLoneSurrogate,
  isSafeId,
  MAX_TIMESTAMP_MILLIS,
  sessionKey,
  stampReceivedTime,
  stampReceivedTimes,
} from './agent-event.js';
import { VerdictRequestSchema } from './verdict.js';

const call = {
  kind: 'tool_call',
  eventId: 'e1',
  tenantId: 't1',
  sessionId: 's1',
  timestampMillis: 1_700_000_000_000,
  toolCallId: 'c1',
  toolName: 'send',
  arguments: { to: 'a@b.c' },
};
const issues = (v: unknown) => {
  const r = AgentEventSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('AgentEventSchema edge validation', () => {
  it.each([
    ['1e300', 1e300],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['negative', -1],
    ['past the last Date', MAX_TIMESTAMP_MILLIS + 1],
  ])('refuses a timestampMillis that cannot be a date (%s)', (_label, t) => {
    expect(issues({ ...call, timestampMillis: t })[0]).toMatch(/^timestampMillis: /);
  });

  it('accepts far but real dates (they are clamped at ingest, not refused)', () => {
    expect(issues({ ...call, timestampMillis: 0 })).toEqual([]);
    expect(issues({ ...call, timestampMillis: Date.UTC(2200, 0, 1) })).toEqual([]);
  });

  it.each([
    ['toolCallId', { toolCallId: 'c\uD800' }],
    ['sessionId', { sessionId: 's\u0000x' }],
    ['tenantId', { tenantId: 'acme\u0000' }],
    ['agentId', { agentId: 'a\u001b[31m' }],
    ['toolName', { toolName: 'send\u0085' }],
  ])('refuses control characters or lone surrogates in an id (%s)', (field, patch) => {
    expect(issues({ ...call, ...patch })[0]).toMatch(new RegExp(`^${field}: .*control characters`));
  });

  it('refuses lone surrogates anywhere in arguments (keys, nested values) with the path', () => {
    expect(issues({ ...call, arguments: { a: [{ b: 'ok' }, { c: '\uDC00' }] } })).toEqual([
      'arguments.a.1.c: must be valid Unicode text (an unpaired UTF-16 surrogate has no UTF-8 form)',
    ]);
    expect(issues({ ...call, arguments: { ['k\uD83D']: 1 } })[0]).toMatch(/^arguments\.k/);
  });

  it('keeps newlines, tabs and paired surrogates (emoji) in text and ids', () => {
    expect(
      issues({
        kind: 'prompt',
        eventId: 'p😀',
        sessionId: 's',
        timestampMillis: 0,
        role: 'user',
        content: 'a\n\tb 😀',
      }),
    ).toEqual([]);
    expect(isSafeId('agent-😀')).toBe(true);
    expect(isSafeId(sessionKey('t', 's'))).toBe(false);
  });

  it('walks 100,000-deep arguments without overflowing the stack', () => {
    let deep: unknown = 'x\uD800';
    for (let i = 0; i < 100_000; i += 1) deep = { d: deep };
    expect(findLoneSurrogate(deep)?.path).toHaveLength(100_000);
  });
});

describe('VerdictRequestSchema edge validation', () => {
  const request = { sessionId: 's1', toolCall: { toolCallId: 'c1', toolName: 'send', arguments: {} } };
  it.each([
    ['timestampMillis', { ...request, timestampMillis: 1e300 }],
    ['toolCall.toolCallId', { ...request, toolCall: { ...request.toolCall, toolCallId: '\uD800' } }],
    ['sessionId', { ...request, sessionId: 'a\u0000b' }],
    ['tenantId', { ...request, tenantId: 'a\u0000' }],
    ['toolCall.arguments.x', { ...request, toolCall: { ...request.toolCall, arguments: { x: '\uDFFF' } } }],
    ['events.0.timestampMillis', { ...request, events: [{ ...call, timestampMillis: 1e300 }] }],
  ])('refuses %s', (path, body) => {
    const r = VerdictRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('stampReceivedTime', () => {
  const received = Date.UTC(2030, 5, 1);
  const ev = (t: number) => AgentEventSchema.parse({ ...call, timestampMillis: t });

  it('stamps the received time and keeps a plausible claimed time', () => {
    const e = ev(received - 60_000);
    expect(stampReceivedTime(e, received)).toBe(false);
    expect(e).toMatchObject({ timestampMillis: received - 60_000, receivedAtMillis: received });
    expect(e.claimedTimestampMillis).toBeUndefined();
  });

  it.each([
    ['1970', 0],
    ['40 days ago', received - 40 * 86_400_000],
    ['2200', Date.UTC(2200, 0, 1)],
    ['just past the future bound', received + CLOCK_SKEW_BOUNDS.maxFutureMillis + 1],
  ])('clamps a claimed time from %s to the received time and keeps the claim', (_label, t) => {
    const e = ev(t);
    expect(stampReceivedTime(e, received)).toBe(true);
    expect(e).toMatchObject({
      timestampMillis: received,
      receivedAtMillis: received,
      claimedTimestampMillis: t,
    });
    expect(AgentEventSchema.safeParse(e).success).toBe(true);
  });

  it('replaces what a sender put in the received/claimed fields', () => {
    const e = { ...ev(received), receivedAtMillis: 1, claimedTimestampMillis: 5 };
    expect(stampReceivedTime(e, received)).toBe(true);
    expect(e).toMatchObject({
      timestampMillis: received,
      receivedAtMillis: received,
      claimedTimestampMillis: 5,
    });
  });

  it('moves the clamped events of one request together, so their order survives', () => {
    const events = [
      ev(5_000),
      ev(1_000),
      ev(received - 1_000),
      ev(Date.UTC(2200, 0, 1)),
      ev(Date.UTC(2200, 0, 2)),
    ];
    expect(stampReceivedTimes(events, received)).toBe(4);
    expect(events.map((e) => e.timestampMillis - received)).toEqual([
      0,
      -4_000,
      -1_000,
      0,
      CLOCK_SKEW_BOUNDS.maxFutureMillis,
    ]);
    expect(events.map((e) => e.claimedTimestampMillis)).toEqual([
      5_000,
      1_000,
      undefined,
      Date.UTC(2200, 0, 1),
      Date.UTC(2200, 0, 2),
    ]);
  });
});
