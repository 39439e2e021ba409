import { createHash } from 'node:crypto';
import { BulwarkError } from './errors.js';

/**
 * Deepest nesting `stableStringify`/`stableHash` accept. Both recurse (as `JSON.stringify` does), so a value
 * nested 10^5 deep would overflow the stack; past this they throw `contracts.too_deep` instead. Far above
 * what a real tool argument or schema needs; services reject deep bodies at the edge well before this.
 */
export const STABLE_HASH_MAX_DEPTH = 1_000;

/**
 * JSON with object keys sorted at every level, so equal values serialize equally. Throws a
 * `BulwarkError` with code `contracts.too_deep` for a value nested deeper than {@link STABLE_HASH_MAX_DEPTH}.
 */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value, 0)) ?? 'undefined';
}

function sortKeys(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= STABLE_HASH_MAX_DEPTH)
    throw new BulwarkError(
      'contracts.too_deep',
      `value is nested deeper than ${STABLE_HASH_MAX_DEPTH} levels: flatten it before hashing`,
    );
  if (Array.isArray(value)) return value.map((v) => sortKeys(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as Record<string, unknown>).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v, depth + 1);
  }
  return out;
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
