import type { ToolDefinition } from './agent-event.js';

type JsonRecord = Record<string, unknown>;
const isRecord = (v: unknown): v is JsonRecord => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * One tool of a `tools/list` answer (or of `gen_ai.tool.definitions`) as a `ToolDefinition`; `undefined`
 * when it has no name. MCP fields are kept (description, input and output schema, annotations); the
 * provider shapes a span may carry are read too: OpenAI's `{ type: 'function', function: { name,
 * parameters } }` and Anthropic's `input_schema`. Fields of the wrong type are left out, never passed on.
 * `server` is the listing's server and wins over any `server` the raw tool names (a server must not be able
 * to claim another's name); pass `undefined` to keep the raw one (span definitions carry their own).
 *
 * @example
 * toToolDefinition({ name: 'read', description: 'Reads a file', inputSchema: { type: 'object' } }, 'fs');
 * // { name: 'read', description: 'Reads a file', inputSchema: { type: 'object' }, server: 'fs' }
 */
export function toToolDefinition(raw: unknown, server?: string): ToolDefinition | undefined {
  if (!isRecord(raw)) return undefined;
  // OpenAI-style definitions nest under `function`.
  const fn = isRecord(raw.function) ? raw.function : raw;
  if (typeof fn.name !== 'string' || fn.name === '') return undefined;
  const def: ToolDefinition = { name: fn.name };
  if (typeof fn.description === 'string') def.description = fn.description;
  const input = fn.inputSchema ?? fn.input_schema ?? fn.parameters;
  if (isRecord(input)) def.inputSchema = input;
  if (isRecord(fn.outputSchema)) def.outputSchema = fn.outputSchema;
  if (isRecord(raw.annotations)) def.annotations = raw.annotations as ToolDefinition['annotations'];
  const s = server ?? (typeof raw.server === 'string' ? raw.server : undefined);
  if (s) def.server = s;
  return def;
}

/**
 * Every named tool of a list (e.g. `ListToolsResult.tools`); anything that is not an array yields `[]`.
 *
 * @example
 * toToolDefinitions(result.tools, serverName);
 */
export function toToolDefinitions(list: unknown, server?: string): ToolDefinition[] {
  if (!Array.isArray(list)) return [];
  const out: ToolDefinition[] = [];
  for (const t of list) {
    const def = toToolDefinition(t, server);
    if (def) out.push(def);
  }
  return out;
}
