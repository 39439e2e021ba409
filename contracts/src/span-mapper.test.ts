import { describe, expect, it } from 'vitest';
import type { AgentEvent } from './agent-event.js';
import { AgentEventSchema } from './agent-event.js';
import * as sc from './semconv.js';
import { promptEventId } from './span-attributes.js';
import { fromOtlpJsonSpan, spanToAgentEvents } from './span-decoder.js';
import { agentEventToSpan } from './span-encoder.js';

const base = { tenantId: 't1', sessionId: 's1', timestampMillis: 1000, agentId: 'agent-a' };

function roundTrip(ev: AgentEvent, extra: Record<string, unknown> = {}): AgentEvent[] {
  const { name, attributes } = agentEventToSpan(ev);
  const res = spanToAgentEvents({
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    name,
    startTimeMillis: ev.timestampMillis,
    attributes: { ...attributes, ...(extra as Record<string, string>) },
  });
  if (!res.ok) throw new Error(res.message);
  return res.events;
}

describe('spanToAgentEvents / agentEventToSpan', () => {
  it('maps the enforced decision of a tool call span (fallbacks included); unknown values are left out', () => {
    const call = AgentEventSchema.parse({
      ...base,
      kind: 'tool_call',
      eventId: 'e1',
      toolCallId: 'c1',
      toolName: 'send_email',
    });
    const [fallback] = roundTrip(call, {
      [sc.ATTR_BULWARK_ENFORCED_DECISION]: 'block',
      [sc.ATTR_BULWARK_ENFORCED_SOURCE]: 'fallback_timeout',
      [sc.ATTR_BULWARK_ENFORCED_REASON]: 'no verdict within 250 ms',
    });
    expect(fallback).toMatchObject({
      kind: 'tool_call',
      enforced: { decision: 'block', source: 'fallback_timeout', reason: 'no verdict within 250 ms' },
    });
    const [verdict] = roundTrip(call, {
      [sc.ATTR_BULWARK_ENFORCED_DECISION]: 'allow',
      [sc.ATTR_BULWARK_ENFORCED_SOURCE]: 'verdict',
      [sc.ATTR_BULWARK_VERDICT_DECISION]: 'require_approval',
    });
    expect(verdict).toMatchObject({ enforced: { decision: 'allow', verdictDecision: 'require_approval' } });
    const [odd] = roundTrip(call, {
      [sc.ATTR_BULWARK_ENFORCED_DECISION]: 'maybe',
      [sc.ATTR_BULWARK_ENFORCED_SOURCE]: 'verdict',
    });
    expect(odd).not.toHaveProperty('enforced');
  });

  it('round-trips a tool call with its result on one span', () => {
    const call = AgentEventSchema.parse({
      ...base,
      kind: 'tool_call',
      eventId: 'e1',
      toolCallId: 'c1',
      toolName: 'send_email',
      arguments: { to: 'x@example.com', n: 2 },
    });
    const result = agentEventToSpan(
      AgentEventSchema.parse({
        ...base,
        kind: 'tool_result',
        eventId: 'r',
        toolCallId: 'c1',
        toolName: 'send_email',
        content: 'sent',
      }),
    );
    const events = roundTrip(call, result.attributes);
    expect(events.map((e) => e.kind)).toEqual(['tool_call', 'tool_result']);
    expect(events[0]).toMatchObject({
      toolName: 'send_email',
      toolCallId: 'c1',
      arguments: { to: 'x@example.com', n: 2 },
      tenantId: 't1',
      sessionId: 's1',
      eventId: 'e1',
    });
    expect(events[1]).toMatchObject({ content: 'sent', isError: false });
  });

  it('round-trips prompts, completions, definitions, resources and agent messages', () => {
    const evs: AgentEvent[] = [
      AgentEventSchema.parse({
        ...base,
        kind: 'prompt',
        eventId: promptEventId('s1', 'user', 'hi'),
        role: 'user',
        content: 'hi',
      }),
      AgentEventSchema.parse({
        ...base,
        kind: 'completion',
        eventId: 'x',
        content: 'ok',
        toolCalls: [{ toolCallId: 'c', toolName: 'f', arguments: { a: 1 } }],
      }),
      AgentEventSchema.parse({
        ...base,
        kind: 'tool_definitions',
        eventId: 'x',
        tools: [{ name: 'f', description: 'd', inputSchema: { type: 'object' } }],
      }),
      AgentEventSchema.parse({
        ...base,
        kind: 'resource_read',
        eventId: 'x',
        uri: 'file:///a',
        content: 'body',
      }),
      AgentEventSchema.parse({
        ...base,
        kind: 'agent_message',
        eventId: 'x',
        direction: 'received',
        peerAgent: 'b',
        content: 'do it',
      }),
    ];
    for (const ev of evs) {
      const [back] = roundTrip(ev);
      expect(back?.kind).toBe(ev.kind);
      if (ev.kind === 'prompt')
        expect(back).toMatchObject({ role: 'user', content: 'hi', eventId: ev.eventId });
      if (ev.kind === 'completion') expect(back).toMatchObject({ content: 'ok', toolCalls: ev.toolCalls });
      if (ev.kind === 'tool_definitions') expect(back).toMatchObject({ tools: ev.tools });
      if (ev.kind === 'resource_read') expect(back).toMatchObject({ uri: 'file:///a', content: 'body' });
      if (ev.kind === 'agent_message')
        expect(back).toMatchObject({ direction: 'received', peerAgent: 'b', content: 'do it' });
    }
  });

  it('maps a chat span from another GenAI instrumentation (OTLP JSON), history idempotently', () => {
    const input = [
      { role: 'user', parts: [{ type: 'text', content: 'pay my bill' }] },
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'c1', name: 'read_file', arguments: { path: 'bill.txt' } }],
      },
      {
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: 'c1', response: 'IBAN DE89 3704 0044 0532 0130 00' }],
      },
    ];
    const output = [
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'c2', name: 'send_money', arguments: '{"amount":10}' }],
      },
    ];
    const otlp = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      name: 'chat gpt-4o',
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000001000000000',
      attributes: [
        { key: sc.ATTR_GEN_AI_OPERATION_NAME, value: { stringValue: 'chat' } },
        { key: sc.ATTR_GEN_AI_CONVERSATION_ID, value: { stringValue: 'conv-1' } },
        { key: sc.ATTR_GEN_AI_INPUT_MESSAGES, value: { stringValue: JSON.stringify(input) } },
        { key: sc.ATTR_GEN_AI_OUTPUT_MESSAGES, value: { stringValue: JSON.stringify(output) } },
        { key: sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS, value: { intValue: '12' } },
      ],
    };
    const a = spanToAgentEvents(fromOtlpJsonSpan(otlp, { 'service.name': 'svc' }));
    const b = spanToAgentEvents(fromOtlpJsonSpan({ ...otlp, spanId: 'c7ad6b7169203331' }));
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.events.map((e) => e.kind)).toEqual(['prompt', 'tool_result', 'completion']);
    expect(a.events[0]?.sessionId).toBe('conv-1');
    expect(a.events[0]?.agentId).toBe('svc');
    expect(a.events[1]).toMatchObject({ toolName: 'read_file', content: expect.stringContaining('IBAN') });
    expect(a.events[2]).toMatchObject({
      toolCalls: [{ toolName: 'send_money', arguments: { amount: 10 } }],
      inputTokens: 12,
    });
    // Same history in a later span keeps the same ids (idempotent), the completion does not.
    expect(b.events[0]?.eventId).toBe(a.events[0]?.eventId);
    expect(b.events[1]?.eventId).toBe(a.events[1]?.eventId);
    expect(b.events[2]?.eventId).not.toBe(a.events[2]?.eventId);
    expect(a.events[0]?.timestampMillis).toBe(1700000000000);
  });

  it('says why a span is not mapped, and never throws on junk', () => {
    const res = spanToAgentEvents({
      traceId: 't',
      spanId: 's',
      name: 'GET /',
      startTimeMillis: 0,
      attributes: { 'http.method': 'GET' },
    });
    expect(res).toMatchObject({ ok: false, reason: 'not_agent_span' });
    const junk = spanToAgentEvents({
      traceId: 't',
      spanId: 's',
      name: 'x',
      startTimeMillis: 0,
      attributes: {
        [sc.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
        [sc.ATTR_GEN_AI_INPUT_MESSAGES]: '{not json',
        [sc.ATTR_GEN_AI_OUTPUT_MESSAGES]: '[1,null,{"parts":5}]',
      },
    });
    expect(junk.ok).toBe(true);
  });
});
