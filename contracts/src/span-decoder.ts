import type { AgentEvent, RequestedToolCall, ToolDefinition } from './agent-event.js';
import { AgentEventSchema } from './agent-event.js';
import { isCheckedAgentEvent } from './check-agent-event.js';
import { formatZodIssues } from './format-zod-issues.js';
import * as sc from './semconv.js';
import { type Attributes, type AttributeValue, promptEventId, toolResultEventId } from './span-attributes.js';
import { toToolDefinition } from './tool-definition.js';

// The decoding direction of the span codec: span (SDK, OTLP/JSON or protobuf) to the events it carries. Used
// by the collector; the encoding direction is `span-encoder.ts`.

/**
 * The few span fields the mapper needs, independent of where the span came from
 * (SDK `ReadableSpan` via {@link fromReadableSpan}, OTLP JSON via {@link fromOtlpJsonSpan}, protobuf via the collector).
 */
export interface SpanLike {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Epoch milliseconds (fractional allowed). */
  startTimeMillis: number;
  endTimeMillis?: number;
  attributes: Attributes;
  resource?: Attributes;
}

export interface SpanMapOptions {
  /** Tenant when the span carries none (collector: the authenticated tenant overrides this anyway). */
  defaultTenantId?: string;
}

/** Result of mapping one span: events, or why it is not an agent span. Never throws. */
export type SpanMapResult =
  | { ok: true; events: AgentEvent[] }
  | { ok: false; reason: 'not_agent_span' | 'invalid'; message: string };

/**
 * An event candidate: the span's common fields, then its own. `Object.assign` onto a fresh literal, not
 * `{ ...base, more }`: V8 gives every spread-then-extended object its own map, which cost ~3 µs per event
 * here and slowed every later property access and addition (the received-time stamp, the stores).
 */
function withBase(base: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  return Object.assign({}, base, fields);
}

function str(v: AttributeValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function num(v: AttributeValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function parseJson(v: AttributeValue | undefined): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (v === undefined || v === null || v === '') return {};
  return { value: v };
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return JSON.stringify(v);
}

interface MessagePart {
  type?: string;
  content?: unknown;
  text?: unknown;
  id?: string;
  name?: string;
  arguments?: unknown;
  response?: unknown;
  result?: unknown;
}
interface ChatMessage {
  role?: string;
  parts?: MessagePart[];
  content?: unknown;
}

function partsText(parts: MessagePart[] | undefined): string {
  if (!Array.isArray(parts)) return '';
  return parts
    .filter((p) => p && (p.type === 'text' || p.type === undefined) && (p.content ?? p.text) !== undefined)
    .map((p) => textOf(p.content ?? p.text))
    .join('\n');
}

function messageText(m: ChatMessage): string {
  if (Array.isArray(m.parts)) return partsText(m.parts);
  return textOf(m.content);
}

function parseToolDefinitions(v: AttributeValue | undefined, server: string | undefined): ToolDefinition[] {
  const parsed = parseJson(v);
  if (!Array.isArray(parsed)) return [];
  const tools: ToolDefinition[] = [];
  for (const t of parsed) {
    // A definition's own server (the SDK writes one per tool) wins over the span's.
    const own = t && typeof t === 'object' ? (t as Record<string, unknown>).server : undefined;
    const def = toToolDefinition(t, typeof own === 'string' ? own : server);
    if (!def) continue;
    // Stored tool_definitions events have never carried outputSchema from spans: left out until that
    // changes on purpose (the SDK's own event keeps it).
    delete def.outputSchema;
    tools.push(def);
  }
  return tools;
}

/**
 * Maps one span to the `AgentEvent`s it carries. Pure and total: a span that is not a GenAI/MCP span, or
 * whose attributes do not validate, comes back as `{ ok: false }` with the reason.
 *
 * Understood: GenAI `chat` (system instructions, input and output messages incl. tool-call parts),
 * `execute_tool` / MCP `tools/call` (arguments and result), MCP `tools/list` (`gen_ai.tool.definitions`),
 * `resources/read`, `prompts/get`, `sampling/createMessage`, `elicitation/create`, and `invoke_agent` /
 * Bulwark inter-agent messages.
 *
 * @example
 * const res = spanToAgentEvents(fromOtlpJsonSpan(otlpSpan, resourceAttrs));
 * if (res.ok) for (const ev of res.events) bus.publish(...);
 */
export function spanToAgentEvents(span: SpanLike, options: SpanMapOptions = {}): SpanMapResult {
  const a = span.attributes;
  const r = span.resource ?? {};
  const op = str(a[sc.ATTR_GEN_AI_OPERATION_NAME]);
  const method = str(a[sc.ATTR_MCP_METHOD_NAME]);
  const declared = str(a[sc.ATTR_BULWARK_EVENT_KIND]);
  if (!op && !method && !declared) {
    return {
      ok: false,
      reason: 'not_agent_span',
      message: 'span has no gen_ai.operation.name or mcp.method.name',
    };
  }
  // An explicit Bulwark session wins: an inter-agent span may carry the other agent's conversation id.
  const sessionId =
    str(a[sc.ATTR_BULWARK_SESSION_ID]) ??
    str(a[sc.ATTR_GEN_AI_CONVERSATION_ID]) ??
    str(a[sc.ATTR_MCP_SESSION_ID]) ??
    str(r[sc.ATTR_GEN_AI_CONVERSATION_ID]) ??
    span.traceId;
  const server = str(a[sc.ATTR_BULWARK_SERVER_NAME]) ?? str(a[sc.ATTR_SERVER_ADDRESS]);
  const base = {
    tenantId:
      str(a[sc.ATTR_BULWARK_TENANT_ID]) ??
      str(r[sc.ATTR_BULWARK_TENANT_ID]) ??
      options.defaultTenantId ??
      'default',
    sessionId,
    agentId: str(a[sc.ATTR_GEN_AI_AGENT_ID]) ?? str(r[sc.ATTR_GEN_AI_AGENT_ID]) ?? str(r['service.name']),
    agentName: str(a[sc.ATTR_GEN_AI_AGENT_NAME]) ?? str(r[sc.ATTR_GEN_AI_AGENT_NAME]),
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    timestampMillis: Math.max(0, span.startTimeMillis),
    server,
  };
  const baseId = str(a[sc.ATTR_BULWARK_EVENT_ID]) ?? span.spanId;
  const raw: Record<string, unknown>[] = [];

  if (declared === 'agent_message' || (op === sc.GEN_AI_OPERATION_INVOKE_AGENT && !method)) {
    const direction = str(a[sc.ATTR_BULWARK_MESSAGE_DIRECTION]) === 'received' ? 'received' : 'sent';
    let content = str(a[sc.ATTR_BULWARK_MESSAGE_CONTENT]);
    if (content === undefined) {
      const msgs = parseJson(
        direction === 'sent' ? a[sc.ATTR_GEN_AI_INPUT_MESSAGES] : a[sc.ATTR_GEN_AI_OUTPUT_MESSAGES],
      );
      content = Array.isArray(msgs) ? (msgs as ChatMessage[]).map(messageText).join('\n') : '';
    }
    raw.push(
      withBase(base, {
        kind: 'agent_message',
        eventId: baseId,
        direction,
        peerAgent: str(a[sc.ATTR_BULWARK_MESSAGE_PEER]) ?? str(a[sc.ATTR_GEN_AI_AGENT_NAME]) ?? 'unknown',
        content,
        conversationId: str(a[sc.ATTR_GEN_AI_CONVERSATION_ID]),
      }),
    );
  } else if (method === sc.MCP_METHOD_TOOLS_LIST || declared === 'tool_definitions') {
    raw.push(
      withBase(base, {
        kind: 'tool_definitions',
        eventId: baseId,
        tools: parseToolDefinitions(a[sc.ATTR_GEN_AI_TOOL_DEFINITIONS], server),
      }),
    );
  } else if (method === sc.MCP_METHOD_RESOURCES_READ || method === sc.MCP_METHOD_PROMPTS_GET) {
    const uri =
      method === sc.MCP_METHOD_PROMPTS_GET
        ? `prompt://${str(a[sc.ATTR_BULWARK_PROMPT_NAME]) ?? 'unknown'}`
        : (str(a[sc.ATTR_MCP_RESOURCE_URI]) ?? '');
    raw.push(
      withBase(base, {
        kind: 'resource_read',
        eventId: baseId,
        uri,
        content: str(a[sc.ATTR_BULWARK_RESOURCE_CONTENT]) ?? '',
      }),
    );
  } else if (
    method === sc.MCP_METHOD_SAMPLING_CREATE_MESSAGE ||
    method === sc.MCP_METHOD_ELICITATION_CREATE
  ) {
    // Server-initiated text enters the agent like a message from another party: untrusted.
    const msgs = parseJson(a[sc.ATTR_GEN_AI_INPUT_MESSAGES]);
    const content =
      str(a[sc.ATTR_BULWARK_MESSAGE_CONTENT]) ??
      (Array.isArray(msgs) ? (msgs as ChatMessage[]).map(messageText).join('\n') : '');
    raw.push(
      withBase(base, {
        kind: 'agent_message',
        eventId: baseId,
        direction: 'received',
        peerAgent: `mcp-server:${server ?? 'unknown'}`,
        content,
      }),
    );
  } else if (
    op === sc.GEN_AI_OPERATION_EXECUTE_TOOL ||
    method === sc.MCP_METHOD_TOOLS_CALL ||
    declared === 'tool_call'
  ) {
    const toolName =
      str(a[sc.ATTR_GEN_AI_TOOL_NAME]) ?? span.name.replace(/^(tools\/call|execute_tool)\s*/, '');
    const toolCallId = str(a[sc.ATTR_GEN_AI_TOOL_CALL_ID]) ?? str(a[sc.ATTR_JSONRPC_REQUEST_ID]) ?? baseId;
    raw.push(
      withBase(base, {
        kind: 'tool_call',
        eventId: baseId,
        toolCallId,
        toolName,
        arguments: asRecord(parseJson(a[sc.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS])),
        ...enforcementOf(a),
      }),
    );
    const result = a[sc.ATTR_GEN_AI_TOOL_CALL_RESULT];
    if (result !== undefined) {
      raw.push(
        withBase(base, {
          kind: 'tool_result',
          eventId: toolResultEventId(sessionId, toolCallId, baseId),
          timestampMillis: Math.max(0, span.endTimeMillis ?? span.startTimeMillis),
          toolCallId,
          toolName,
          content: textOf(result),
          isError: a[sc.ATTR_BULWARK_TOOL_IS_ERROR] === true || str(a[sc.ATTR_ERROR_TYPE]) !== undefined,
        }),
      );
    }
  } else if (op === sc.GEN_AI_OPERATION_CHAT || op === 'text_completion' || op === 'generate_content') {
    mapChat(span, a, base, baseId, sessionId, raw);
  } else {
    return { ok: false, reason: 'not_agent_span', message: `unmapped operation ${op ?? method ?? declared}` };
  }

  return validated(raw);
}

/** The candidates as events, or the first refusal. */
function validated(raw: Record<string, unknown>[]): SpanMapResult {
  const events: AgentEvent[] = [];
  for (const candidate of raw) {
    // The mapper built these: plain checks of the same refinements, zod only when they are not enough
    // (so a refusal still gets zod's message).
    if (isCheckedAgentEvent(candidate)) {
      events.push(candidate);
      continue;
    }
    const parsed = AgentEventSchema.safeParse(candidate);
    if (!parsed.success) {
      return {
        ok: false,
        reason: 'invalid',
        message: formatZodIssues(parsed.error).join('; '),
      };
    }
    events.push(parsed.data);
  }
  return { ok: true, events };
}

const DECISIONS = new Set(['allow', 'alert', 'require_approval', 'block']);
const ENFORCED_SOURCES = new Set(['verdict', 'fallback_timeout', 'fallback_error', 'fallback_unavailable']);

/**
 * `bulwark.enforced.*` of a tool call span as the event's `enforced` field; none when the span carries
 * none or an unknown value (the call is still mapped: the attributes are advisory).
 */
function enforcementOf(a: Attributes): { enforced?: Record<string, unknown> } {
  const decision = str(a[sc.ATTR_BULWARK_ENFORCED_DECISION]);
  const source = str(a[sc.ATTR_BULWARK_ENFORCED_SOURCE]);
  if (!decision || !DECISIONS.has(decision) || !source || !ENFORCED_SOURCES.has(source)) return {};
  const out: Record<string, unknown> = { decision, source };
  const reason = str(a[sc.ATTR_BULWARK_ENFORCED_REASON]);
  if (reason) out.reason = reason.slice(0, 2_000);
  const verdict = str(a[sc.ATTR_BULWARK_VERDICT_DECISION]);
  if (source === 'verdict' && verdict && DECISIONS.has(verdict)) out.verdictDecision = verdict;
  return { enforced: out };
}

function mapChat(
  span: SpanLike,
  a: Attributes,
  base: Record<string, unknown>,
  baseId: string,
  sessionId: string,
  out: Record<string, unknown>[],
): void {
  const system = parseJson(a[sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]);
  const systemText = Array.isArray(system) ? partsText(system as MessagePart[]) : textOf(system);
  if (systemText) {
    out.push(
      withBase(base, {
        kind: 'prompt',
        eventId: promptEventId(sessionId, 'system', systemText),
        role: 'system',
        content: systemText,
      }),
    );
  }
  const input = parseJson(a[sc.ATTR_GEN_AI_INPUT_MESSAGES]);
  const toolNames = new Map<string, string>();
  if (Array.isArray(input)) {
    for (const m of input as ChatMessage[]) {
      if (!m || typeof m !== 'object') continue;
      const role = m.role ?? 'user';
      if (role === 'system' || role === 'user' || role === 'developer') {
        const content = messageText(m);
        if (content)
          out.push(
            withBase(base, {
              kind: 'prompt',
              eventId: promptEventId(sessionId, role, content),
              role,
              content,
            }),
          );
        continue;
      }
      for (const p of Array.isArray(m.parts) ? m.parts : []) {
        if (p?.type === 'tool_call' && p.id && p.name) toolNames.set(p.id, p.name);
        if (p?.type === 'tool_call_response') {
          const toolCallId = p.id ?? '';
          out.push(
            withBase(base, {
              kind: 'tool_result',
              eventId: toolResultEventId(sessionId, toolCallId, `${baseId}:${out.length}`),
              toolCallId,
              toolName: toolNames.get(toolCallId) ?? '',
              content: textOf(p.response ?? p.result ?? p.content),
            }),
          );
        }
      }
    }
  }
  const output = parseJson(a[sc.ATTR_GEN_AI_OUTPUT_MESSAGES]);
  if (Array.isArray(output) && output.length > 0) {
    const toolCalls: RequestedToolCall[] = [];
    const texts: string[] = [];
    for (const m of output as ChatMessage[]) {
      if (!m || typeof m !== 'object') continue;
      for (const p of Array.isArray(m.parts) ? m.parts : []) {
        if (p?.type === 'tool_call' && p.name) {
          toolCalls.push({
            toolCallId: p.id ?? '',
            toolName: p.name,
            arguments: asRecord(parseJson(p.arguments as AttributeValue)),
          });
        }
      }
      const t = messageText(m);
      if (t) texts.push(t);
    }
    out.push(
      withBase(base, {
        kind: 'completion',
        eventId: `${baseId}:out`,
        timestampMillis: Math.max(0, span.endTimeMillis ?? span.startTimeMillis),
        content: texts.join('\n'),
        toolCalls,
        model: str(a[sc.ATTR_GEN_AI_RESPONSE_MODEL]) ?? str(a[sc.ATTR_GEN_AI_REQUEST_MODEL]),
        provider: str(a[sc.ATTR_GEN_AI_PROVIDER_NAME]),
        inputTokens: num(a[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS]),
        outputTokens: num(a[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]),
      }),
    );
  }
}

/** An OTLP/JSON `KeyValue`'s value (`AnyValue`). */
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: { key: string; value?: OtlpAnyValue }[] };
  bytesValue?: string;
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
/** The OTLP/JSON span fields the mapper reads (ids as hex, times as decimal nanosecond strings). */
export interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
}

function anyValue(v: OtlpAnyValue | undefined): AttributeValue | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) {
    return (v.arrayValue.values ?? []).map((x) => {
      const y = anyValue(x);
      return typeof y === 'string' || typeof y === 'number' || typeof y === 'boolean' ? y : null;
    });
  }
  if (v.kvlistValue) {
    const o: Record<string, unknown> = {};
    for (const kv of v.kvlistValue.values ?? []) o[kv.key] = anyValue(kv.value);
    return JSON.stringify(o);
  }
  if (v.bytesValue !== undefined) return v.bytesValue;
  return undefined;
}

/** OTLP/JSON `KeyValue[]` to a plain attribute map. */
export function otlpAttributes(list: readonly OtlpKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) if (kv && typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

const nanosToMillis = (n: string | number | undefined): number => {
  if (n === undefined) return 0;
  const v = typeof n === 'number' ? n : Number(n);
  return Number.isFinite(v) ? v / 1e6 : 0;
};

/**
 * Adapts an OTLP/JSON span (as in `ExportTraceServiceRequest.resourceSpans[].scopeSpans[].spans[]`).
 *
 * @example
 * const like = fromOtlpJsonSpan(span, otlpAttributes(resourceSpans.resource?.attributes));
 */
export function fromOtlpJsonSpan(span: OtlpJsonSpan, resource: Attributes = {}): SpanLike {
  const like: SpanLike = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    startTimeMillis: nanosToMillis(span.startTimeUnixNano),
    endTimeMillis: nanosToMillis(span.endTimeUnixNano),
    attributes: otlpAttributes(span.attributes),
    resource,
  };
  if (span.parentSpanId) like.parentSpanId = span.parentSpanId;
  return like;
}

/** The subset of the OpenTelemetry SDK's `ReadableSpan` the mapper reads (kept structural: no SDK import). */
export interface ReadableSpanLike {
  name: string;
  spanContext(): { traceId: string; spanId: string };
  parentSpanContext?: { spanId: string } | undefined;
  /** SDK 1.x name for the parent. */
  parentSpanId?: string;
  startTime: readonly [number, number];
  endTime: readonly [number, number];
  attributes: Attributes;
  resource?: { attributes: Attributes };
}

const hrToMillis = (t: readonly [number, number]) => t[0] * 1e3 + t[1] / 1e6;

/**
 * Adapts an SDK `ReadableSpan` (e.g. from an in-memory exporter).
 *
 * @example
 * for (const s of exporter.getFinishedSpans()) spanToAgentEvents(fromReadableSpan(s));
 */
export function fromReadableSpan(span: ReadableSpanLike): SpanLike {
  const ctx = span.spanContext();
  const like: SpanLike = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    name: span.name,
    startTimeMillis: hrToMillis(span.startTime),
    endTimeMillis: hrToMillis(span.endTime),
    attributes: span.attributes,
    resource: span.resource?.attributes ?? {},
  };
  const parent = span.parentSpanContext?.spanId ?? span.parentSpanId;
  if (parent) like.parentSpanId = parent;
  return like;
}
