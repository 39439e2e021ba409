import {
  type Context,
  context,
  propagation,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { safely } from './safely.js';

/** A `_meta` object (MCP request params) or an A2A `metadata` object: string keys, any values. */
export type MetaCarrier = Record<string, unknown>;

const getter: TextMapGetter<MetaCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = carrier[key];
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    return undefined;
  },
};

const setter: TextMapSetter<MetaCarrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * Continues a trace on the MCP server side: reads `traceparent`, `tracestate` and `baggage` from a request's
 * `params._meta` (as SEP-414 and the MCP semantic conventions describe) with the global propagator.
 * Returns the active context unchanged when there is nothing to extract.
 *
 * @example
 * server.registerTool('echo', { inputSchema: { text: z.string() } }, async (args, extra) => {
 *   const span = tracer.startSpan('tools/call echo', { kind: SpanKind.SERVER }, extractMcpContext(extra._meta));
 *   try { return { content: [{ type: 'text', text: args.text }] }; } finally { span.end(); }
 * });
 */
export function extractMcpContext(meta: unknown, base: Context = context.active()): Context {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return base;
  return safely('extract trace context', () => propagation.extract(base, meta as MetaCarrier, getter), base);
}

/** Writes the trace context of `ctx` into a copy of `meta` (W3C `traceparent`/`tracestate`/`baggage`). */
export function injectMcpContext(ctx: Context, meta: MetaCarrier = {}): MetaCarrier {
  const out: MetaCarrier = { ...meta };
  safely('inject trace context', () => propagation.inject(ctx, out, setter), undefined);
  return out;
}
