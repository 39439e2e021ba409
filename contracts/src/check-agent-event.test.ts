import { describe, expect, it } from 'vitest';
import { AgentEventSchema, MAX_TIMESTAMP_MILLIS } from './agent-event.js';
import { isCheckedAgentEvent } from './check-agent-event.js';
import { fromOtlpJsonSpan, spanToAgentEvents } from './span-decoder.js';

const base = {
  eventId: 'e1',
  tenantId: 't1',
  sessionId: 's1',
  agentId: 'agent',
  agentName: undefined,
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  parentSpanId: undefined,
  timestampMillis: 1_700_000_000_000,
  server: 'srv',
};

const valid: Record<string, unknown>[] = [
  { ...base, kind: 'prompt', role: 'user', content: 'hi' },
  {
    ...base,
    kind: 'completion',
    content: 'ok',
    toolCalls: [{ toolCallId: 'c1', toolName: 'send', arguments: { to: 'x' } }],
    model: 'm',
    provider: undefined,
    inputTokens: 3,
    outputTokens: undefined,
  },
  {
    ...base,
    kind: 'tool_call',
    toolCallId: 'c1',
    toolName: 'send',
    arguments: { to: 'a@b.c', n: [1, { k: 'v' }] },
    enforced: { decision: 'block', source: 'verdict', reason: 'r', verdictDecision: 'block' },
  },
  { ...base, kind: 'tool_result', toolCallId: 'c1', toolName: 'send', content: 'done', isError: false },
  { ...base, kind: 'resource_read', uri: 'file:///x', content: 'text' },
  {
    ...base,
    kind: 'agent_message',
    direction: 'sent',
    peerAgent: 'peer',
    content: 'hello',
    conversationId: 'conv',
  },
];

// Boundary values for every field: lengths at and past each limit, control characters, lone and paired
// surrogates, bad numbers, wrong types, missing defaults.
const TRICKY: unknown[] = [
  undefined,
  null,
  '',
  'a',
  'a'.repeat(64),
  'a'.repeat(65),
  'a'.repeat(256),
  'a'.repeat(257),
  'a'.repeat(512),
  'a'.repeat(513),
  'a'.repeat(2_000),
  'a'.repeat(2_001),
  'a'.repeat(8_193),
  'a\u0000b',
  'tab\there',
  'del\u007F',
  'c1\u0085',
  'lone\uD800',
  '\uDC00lone',
  'pair \uD83D\uDE00',
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  MAX_TIMESTAMP_MILLIS,
  MAX_TIMESTAMP_MILLIS + 1,
  2 ** 53,
  true,
  {},
  [],
  { k: 'lone\uD800' },
  { 'k\uDC00': 1 },
  JSON.parse('{"__proto__": {"x": 1}}'),
  [{ toolCallId: 'c', toolName: 't', arguments: {} }],
  [{ toolCallId: 'c', toolName: 't' }],
  [{ toolCallId: 'c\u0000', toolName: 't', arguments: {} }],
  [{ toolCallId: 'c', toolName: 't', arguments: {}, extra: 1 }],
  { decision: 'allow', source: 'fallback_timeout' },
  { decision: 'allow', source: 'nope' },
  { decision: 'allow', source: 'verdict', reason: 'x\uD800' },
  { decision: 'allow', source: 'verdict', extra: 1 },
  'user',
  'system',
  'assistant',
  'received',
];

describe('isCheckedAgentEvent', () => {
  it('accepts the valid events of every kind it handles, and zod returns them unchanged', () => {
    for (const ev of valid) {
      expect(isCheckedAgentEvent(ev), String(ev.kind)).toBe(true);
      expect(AgentEventSchema.parse(ev)).toEqual(ev);
    }
  });

  it('never accepts what zod refuses or would change (every field × boundary values)', () => {
    let accepted = 0;
    let tried = 0;
    for (const ev of valid) {
      const fields = new Set([
        ...Object.keys(ev),
        'receivedAtMillis',
        'claimedTimestampMillis',
        'unknownField',
      ]);
      for (const field of fields) {
        if (field === 'kind') continue;
        for (const value of TRICKY) {
          const candidate = { ...ev, [field]: value };
          tried += 1;
          if (!isCheckedAgentEvent(candidate)) continue;
          accepted += 1;
          const parsed = AgentEventSchema.safeParse(candidate);
          expect(parsed.success, `${ev.kind}.${field} = ${JSON.stringify(value)}`).toBe(true);
          expect(parsed.data, `${ev.kind}.${field} = ${JSON.stringify(value)}`).toEqual(candidate);
        }
      }
    }
    // The fast path is really taken for the harmless substitutions.
    expect(accepted).toBeGreaterThan(100);
    expect(tried).toBeGreaterThan(2_000);
  });

  it('leaves tool definitions and unknown kinds to zod', () => {
    expect(isCheckedAgentEvent({ ...base, kind: 'tool_definitions', tools: [] })).toBe(false);
    expect(isCheckedAgentEvent({ ...base, kind: 'nope' })).toBe(false);
  });

  it('takes the fast path for mapped tool-call spans and still refuses a NUL session with zod’s message', () => {
    const span = (session: string) =>
      fromOtlpJsonSpan({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        name: 'tools/call send',
        startTimeUnixNano: '1700000000000000000',
        endTimeUnixNano: '1700000000500000000',
        attributes: [
          { key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } },
          { key: 'gen_ai.tool.name', value: { stringValue: 'send' } },
          { key: 'gen_ai.tool.call.id', value: { stringValue: 'c1' } },
          { key: 'gen_ai.tool.call.arguments', value: { stringValue: '{"to":"x"}' } },
          { key: 'gen_ai.tool.call.result', value: { stringValue: 'ok' } },
          { key: 'bulwark.session.id', value: { stringValue: session } },
        ],
      });
    const ok = spanToAgentEvents(span('s1'));
    expect(ok.ok && ok.events.map((e) => e.kind)).toEqual(['tool_call', 'tool_result']);
    if (ok.ok) for (const e of ok.events) expect(isCheckedAgentEvent(e as never)).toBe(true);
    const bad = spanToAgentEvents(span('s\u00001'));
    expect(bad).toMatchObject({ ok: false, reason: 'invalid' });
    expect(!bad.ok && bad.message).toMatch(/^sessionId: must not contain control characters/);
  });
});
