import { describe, expect, it } from 'vitest';
import { AgentEventSchema } from './agent-event.js';
import * as sc from './semconv.js';
import type { Attributes } from './span-attributes.js';
import { spanToAgentEvents } from './span-decoder.js';
import { agentEventToSpan, type CapturePolicy, chatToSpanAttributes } from './span-encoder.js';
import { toolDefinitionHash } from './stable-hash.js';

const base = { tenantId: 't1', sessionId: 's1', timestampMillis: 1000 };
const masking: CapturePolicy = {
  mode: 'redacted',
  text: (v, f) => {
    f.redacted = true;
    return v.replace(/secret/g, '***');
  },
  value: (v) => v,
  json: (v, f) => {
    f.truncated = true;
    return JSON.stringify(v).slice(0, 10);
  },
  identifier: (v) => v.replace(/token=\w+/, 'token=***'),
  metadata: (v) => v,
};
const none: CapturePolicy = { ...masking, mode: 'none' };

describe('agentEventToSpan with a capture policy', () => {
  const call = AgentEventSchema.parse({
    ...base,
    kind: 'tool_call',
    eventId: 'e1',
    toolCallId: 'c1',
    toolName: 'send',
    arguments: { body: 'a long body' },
  });
  const result = AgentEventSchema.parse({
    ...base,
    kind: 'tool_result',
    eventId: 'r1',
    toolCallId: 'c1',
    toolName: 'send',
    content: 'the secret',
    isError: true,
  });

  it('records content as the policy says and flags what it cut or masked', () => {
    const a = agentEventToSpan(call, { capture: masking }).attributes;
    expect(a[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBe('{"body":"a');
    expect(a[sc.ATTR_BULWARK_CAPTURE_TRUNCATED]).toBe(true);
    const r = agentEventToSpan(result, { capture: masking }).attributes;
    expect(r).toEqual({
      [sc.ATTR_GEN_AI_TOOL_CALL_RESULT]: 'the ***',
      [sc.ATTR_BULWARK_TOOL_IS_ERROR]: true,
      [sc.ATTR_ERROR_TYPE]: 'tool_error',
      [sc.ATTR_BULWARK_CAPTURE_REDACTED]: true,
    });
  });

  it("'none' records no content, keeps names, ids and definition hashes", () => {
    const a = agentEventToSpan(call, { capture: none }).attributes;
    expect(a[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBeUndefined();
    expect(a[sc.ATTR_GEN_AI_TOOL_NAME]).toBe('send');
    expect(
      agentEventToSpan(result, { capture: none }).attributes[sc.ATTR_GEN_AI_TOOL_CALL_RESULT],
    ).toBeUndefined();
    const tool = { name: 'read', description: 'Reads', server: 'fs' };
    const defs = AgentEventSchema.parse({ ...base, kind: 'tool_definitions', eventId: 'd1', tools: [tool] });
    expect(
      JSON.parse(
        String(agentEventToSpan(defs, { capture: none }).attributes[sc.ATTR_GEN_AI_TOOL_DEFINITIONS]),
      ),
    ).toEqual([{ name: 'read', server: 'fs', definitionHash: toolDefinitionHash(tool) }]);
    const msg = AgentEventSchema.parse({
      ...base,
      kind: 'agent_message',
      eventId: 'm1',
      direction: 'received',
      peerAgent: 'b',
      content: 'hi',
    });
    expect(
      agentEventToSpan(msg, { capture: none }).attributes[sc.ATTR_BULWARK_MESSAGE_CONTENT],
    ).toBeUndefined();
  });

  it('a prompts/get read is encoded as prompts/get and decodes to the same uri; resource URIs are masked', () => {
    const read = AgentEventSchema.parse({
      ...base,
      kind: 'resource_read',
      eventId: 'p1',
      uri: 'prompt://greet',
      content: 'Hello',
    });
    const shape = agentEventToSpan(read, { capture: masking, mcpMethod: sc.MCP_METHOD_PROMPTS_GET });
    expect(shape.attributes[sc.ATTR_MCP_METHOD_NAME]).toBe(sc.MCP_METHOD_PROMPTS_GET);
    expect(shape.attributes[sc.ATTR_MCP_RESOURCE_URI]).toBeUndefined();
    const res = spanToAgentEvents({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: shape.name,
      startTimeMillis: 1000,
      attributes: shape.attributes,
    });
    expect(res.ok && res.events[0]?.kind === 'resource_read' && res.events[0].uri).toBe('prompt://greet');
    const file = AgentEventSchema.parse({ ...read, uri: 'https://x/doc?token=abc', eventId: 'p2' });
    expect(agentEventToSpan(file, { capture: masking }).attributes[sc.ATTR_MCP_RESOURCE_URI]).toBe(
      'https://x/doc?token=***',
    );
  });

  it('chat spans: captured system, input and output messages decode to prompt, tool_result and completion', () => {
    const chat = {
      system: ['Be brief'],
      input: [
        { role: 'user', parts: [{ type: 'text' as const, text: 'my secret plan' }] },
        { role: 'tool', parts: [{ type: 'tool_call_response' as const, id: 'c1', response: 'secret data' }] },
      ],
      output: [
        {
          role: 'assistant',
          parts: [{ type: 'tool_call' as const, id: 'c2', name: 'send', arguments: { to: 'x' } }],
          finishReason: 'tool_calls',
        },
      ],
    };
    expect(chatToSpanAttributes(chat, { capture: none })).toEqual({});
    const attributes: Attributes = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      ...chatToSpanAttributes(chat, { capture: masking }),
    };
    expect(attributes[sc.ATTR_BULWARK_CAPTURE_REDACTED]).toBe(true);
    const res = spanToAgentEvents({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: 'chat',
      startTimeMillis: 1,
      attributes,
    });
    expect(res.ok && res.events.map((e) => [e.kind, 'content' in e ? e.content : ''])).toEqual([
      ['prompt', 'Be brief'],
      ['prompt', 'my *** plan'],
      ['tool_result', '*** data'],
      ['completion', ''],
    ]);
    const long = { system: [], input: Array.from({ length: 8 }, () => chat.input[0]!), output: [] };
    const bounded = chatToSpanAttributes(long, { maxInputBytes: 100 });
    expect(JSON.parse(String(bounded[sc.ATTR_GEN_AI_INPUT_MESSAGES])).length).toBeLessThan(8);
    expect(bounded[sc.ATTR_BULWARK_CAPTURE_TRUNCATED]).toBe(true);
  });
});
