import { describe, expect, it } from 'vitest';
import { toToolDefinition, toToolDefinitions } from './tool-definition.js';

describe('toToolDefinition', () => {
  it('keeps the MCP fields and the listing server', () => {
    expect(
      toToolDefinition(
        {
          name: 'read',
          description: 'Reads a file',
          inputSchema: { type: 'object' },
          outputSchema: { type: 'object' },
          annotations: { readOnlyHint: true },
          title: 'ignored',
        },
        'fs',
      ),
    ).toEqual({
      name: 'read',
      description: 'Reads a file',
      inputSchema: { type: 'object' },
      outputSchema: { type: 'object' },
      annotations: { readOnlyHint: true },
      server: 'fs',
    });
  });

  it('the listing server wins over one the tool claims; without one the raw server is kept', () => {
    expect(toToolDefinition({ name: 'a', server: 'bank' }, 'weather')?.server).toBe('weather');
    expect(toToolDefinition({ name: 'a', server: 'bank' })?.server).toBe('bank');
    expect(toToolDefinition({ name: 'a', server: '' })).toEqual({ name: 'a' });
  });

  it('reads OpenAI and Anthropic shapes', () => {
    expect(
      toToolDefinition({ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }),
    ).toEqual({ name: 'f', inputSchema: { type: 'object' } });
    expect(toToolDefinition({ name: 'g', input_schema: { type: 'object' } })).toEqual({
      name: 'g',
      inputSchema: { type: 'object' },
    });
  });

  it('drops nameless tools and fields of the wrong type', () => {
    expect(toToolDefinition({ name: '' })).toBeUndefined();
    expect(toToolDefinition({ description: 'x' })).toBeUndefined();
    expect(toToolDefinition('read')).toBeUndefined();
    expect(toToolDefinition({ name: 'a', description: 3, inputSchema: [1], annotations: 'x' })).toEqual({
      name: 'a',
    });
    expect(toToolDefinitions([{ name: 'a' }, null, { name: 'b' }], 's').map((t) => t.name)).toEqual([
      'a',
      'b',
    ]);
    expect(toToolDefinitions(undefined)).toEqual([]);
  });
});
