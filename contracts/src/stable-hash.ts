import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values serialize equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'undefined';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * SHA-256 (hex) of the stable JSON form of `value`: used to bind an approval to exact arguments and to
 * pin tool definitions.
 *
 * @example
 * stableHash({ b: 1, a: 2 }) === stableHash({ a: 2, b: 1 }); // true
 */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

/**
 * Pin of one MCP tool definition: hash of name, description, input schema and annotations. The scanner's
 * lock file, the agent SDK and the rug-pull detector all use this one function.
 *
 * @example
 * toolDefinitionHash({ name: 'read', description: 'Reads a file', inputSchema: { type: 'object' } });
 */
export function toolDefinitionHash(tool: {
  name: string;
  description?: string | undefined;
  inputSchema?: unknown;
  annotations?: unknown;
}): string {
  return stableHash({
    name: tool.name,
    description: tool.description ?? '',
    inputSchema: tool.inputSchema ?? null,
    annotations: tool.annotations ?? null,
  });
}
