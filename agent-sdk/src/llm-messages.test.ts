import { describe, expect, it } from 'vitest';
import { normalizeLlmCall } from './llm-messages.js';

describe('normalizeLlmCall', () => {
  it('moves OpenAI system messages to system instructions and parses tool calls', () => {
    const n = normalizeLlmCall(
      {
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'ok' }] },
        ],
      },
      {
        choices: [{ message: { role: 'assistant', content: 'done' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5 },
      },
    );
    expect(n.system).toEqual(['Be brief.']);
    expect(n.input.map((m) => m.role)).toEqual(['developer', 'assistant', 'tool']);
    expect(n.input[1]!.parts[0]).toEqual({ type: 'tool_call', id: 'c1', name: 'f', arguments: { a: 1 } });
    expect(n.input[2]!.parts[0]).toEqual({
      type: 'tool_call_response',
      id: 'c1',
      response: 'ok',
      isError: false,
    });
    expect(n.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', text: 'done' }], finishReason: 'stop' },
    ]);
    expect(n.inputTokens).toBe(5);
    expect(n.detectedProvider).toBe('openai');
  });

  it('splits Anthropic tool_result blocks into a tool message and keeps is_error', () => {
    const n = normalizeLlmCall(
      {
        system: 'sys',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 't1', content: 'boom', is_error: true },
              { type: 'text', text: 'and?' },
              { type: 'image', source: {} },
            ],
          },
        ],
      },
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'hi' }],
        stop_reason: 'end_turn',
      },
    );
    expect(n.detectedProvider).toBe('anthropic');
    expect(n.input).toEqual([
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 't1', response: 'boom', isError: true }] },
      { role: 'user', parts: [{ type: 'text', text: 'and?' }] },
    ]);
    expect(n.output[0]!.finishReason).toBe('end_turn');
  });

  it('accepts Responses API items, a bare messages array, and garbage without throwing', () => {
    const r = normalizeLlmCall(
      { input: [{ type: 'function_call_output', call_id: 'c9', output: 'res' }], instructions: 'inst' },
      {
        output: [{ type: 'function_call', call_id: 'c10', name: 'g', arguments: 'not json' }],
        usage: { output_tokens: 2 },
      },
    );
    expect(r.system).toEqual(['inst']);
    expect(r.input[0]!.parts[0]).toMatchObject({ type: 'tool_call_response', id: 'c9', response: 'res' });
    expect(r.output[0]!.parts[0]).toEqual({
      type: 'tool_call',
      id: 'c10',
      name: 'g',
      arguments: { value: 'not json' },
    });
    expect(r.outputTokens).toBe(2);
    expect(normalizeLlmCall([{ role: 'user', content: 'hi' }], undefined).input).toHaveLength(1);
    expect(normalizeLlmCall(42, null)).toMatchObject({ system: [], input: [], output: [] });
  });
});
