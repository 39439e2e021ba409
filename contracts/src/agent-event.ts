import { z } from 'zod';

// ---------------------------------------------------------------- shared refinements (one place)

/**
 * Latest epoch millisecond a JavaScript `Date` can hold (year 275760). A larger, negative or non-finite
 * number cannot be a time: it is refused at the edge, before it reaches the store (which would refuse it
 * and leave the record only in `dead_letters`).
 */
export const MAX_TIMESTAMP_MILLIS = 8_640_000_000_000_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls (NUL included: it separates tenant and session in keys), DEL and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHAR = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * True when `s` has a UTF-16 surrogate without its pair: such a string has no UTF-8 form, so ClickHouse and
 * any other UTF-8 consumer refuse it.
 *
 * @example
 * hasLoneSurrogate('a\uD800'); // true
 */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/**
 * True when `s` can serve as an identifier (tenant, session, agent, tool call ...): no control characters
 * and no lone surrogates.
 *
 * @example
 * isSafeId('acme\u0000s1'); // false
 */
export function isSafeId(s: string): boolean {
  return !CONTROL_CHAR.test(s) && !LONE_SURROGATE.test(s);
}

const ID_MESSAGE = 'must not contain control characters (NUL included) or unpaired UTF-16 surrogates';
const TEXT_MESSAGE = 'must be valid Unicode text (an unpaired UTF-16 surrogate has no UTF-8 form)';

/**
 * A string identifier of at most `max` characters (and at least `min`): no control characters, no lone
 * surrogates.
 */
export function idString(max = 512, min = 0) {
  return z.string().min(min).max(max).refine(isSafeId, { message: ID_MESSAGE });
}

/** Free text (control characters such as newlines allowed), without lone surrogates. */
export function textString(max?: number) {
  const s = max === undefined ? z.string() : z.string().max(max);
  return s.refine((v) => !hasLoneSurrogate(v), { message: TEXT_MESSAGE });
}

/** Epoch milliseconds: a finite, non-negative number a `Date` can hold. */
export const TimestampMillisSchema = z
  .number()
  .finite()
  .nonnegative()
  .max(MAX_TIMESTAMP_MILLIS, { message: `must be epoch milliseconds at most ${MAX_TIMESTAMP_MILLIS}` });

interface WalkNode {
  v: unknown;
  key: string | number | undefined;
  parent: WalkNode | undefined;
}

function pathOf(node: WalkNode | undefined): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n = node; n && n.key !== undefined; n = n.parent) path.push(n.key);
  return path.reverse();
}

/**
 * Path of the first string (key or value) in `value` with a lone surrogate, or undefined. Iterative and
 * linear (paths are built only for the hit), so arbitrarily deep JSON cannot overflow the stack here.
 */
export function findLoneSurrogate(value: unknown): { path: (string | number)[] } | undefined {
  const stack: WalkNode[] = [{ v: value, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.v;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return { path: pathOf(node) };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push({ v: v[i], key: i, parent: node });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return { path: [...pathOf(node), k] };
        stack.push({ v: x, key: k, parent: node });
      }
    }
  }
  return undefined;
}

/** A JSON object (tool arguments, schemas) whose keys and strings are valid Unicode text. */
export function jsonRecord() {
  return z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
    const bad = findLoneSurrogate(v);
    if (bad) ctx.addIssue({ code: 'custom', path: bad.path, message: TEXT_MESSAGE });
  });
}

// ---------------------------------------------------------------- events

/** MCP tool annotations (`ToolAnnotations` in the MCP spec); hints, never guarantees. */
export const ToolAnnotationsSchema = z
  .object({
    title: textString().optional(),
    readOnlyHint: z.boolean().optional(),
    destructiveHint: z.boolean().optional(),
    idempotentHint: z.boolean().optional(),
    openWorldHint: z.boolean().optional(),
  })
  .passthrough()
  .superRefine((v, ctx) => {
    // Unknown hints pass through into the stored payload: they must be storable text too.
    const bad = findLoneSurrogate(v);
    if (bad) ctx.addIssue({ code: 'custom', path: bad.path, message: TEXT_MESSAGE });
  });
export type ToolAnnotations = z.infer<typeof ToolAnnotationsSchema>;

/** One tool as a server's `tools/list` returns it, plus the server it came from. */
export const ToolDefinitionSchema = z.object({
  name: idString(512, 1),
  description: textString(1_000_000).optional(),
  inputSchema: jsonRecord().optional(),
  outputSchema: jsonRecord().optional(),
  annotations: ToolAnnotationsSchema.optional(),
  /** Server identity (name from the MCP `initialize` answer, or a configured label). */
  server: idString().optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinitionSchema>;

const id = idString(512, 1);

/** Fields every event carries. */
export const EventBaseSchema = z.object({
  /** Unique, stable id: re-delivering the same event must not change state (idempotent consumers). */
  eventId: id,
  tenantId: id.default('default'),
  sessionId: id,
  agentId: idString().optional(),
  agentName: idString().optional(),
  traceId: idString(64).optional(),
  spanId: idString(64).optional(),
  parentSpanId: idString(64).optional(),
  /**
   * Epoch milliseconds when the event happened (from the span), never the engine's clock. After
   * {@link stampReceivedTime}: the received time instead when the claimed one was implausible.
   */
  timestampMillis: TimestampMillisSchema,
  /** Epoch ms when Bulwark (the collector, else the store) received the event; set by Bulwark, never by the agent. */
  receivedAtMillis: TimestampMillisSchema.optional(),
  /** The sender's own time, kept only when it was out of bounds and `timestampMillis` was clamped (`clock_skew`). */
  claimedTimestampMillis: TimestampMillisSchema.optional(),
  /** MCP server the event relates to, when known. */
  server: idString().optional(),
});

export const PromptEventSchema = EventBaseSchema.extend({
  kind: z.literal('prompt'),
  /** system/developer/user text is the trusted intent of the session. */
  role: z.enum(['system', 'developer', 'user']),
  content: textString(),
});

export const RequestedToolCallSchema = z.object({
  toolCallId: idString(),
  toolName: idString(),
  arguments: jsonRecord().default({}),
});
export type RequestedToolCall = z.infer<typeof RequestedToolCallSchema>;

export const CompletionEventSchema = EventBaseSchema.extend({
  kind: z.literal('completion'),
  content: textString().default(''),
  toolCalls: z.array(RequestedToolCallSchema).default([]),
  model: idString(256).optional(),
  provider: idString(256).optional(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
});

export const ToolDefinitionsEventSchema = EventBaseSchema.extend({
  kind: z.literal('tool_definitions'),
  tools: z.array(ToolDefinitionSchema).max(10_000),
});

/** Decisions, as in `verdict.ts` (which imports this module: repeated here to keep the import one-way). */
const enforcedDecision = z.enum(['allow', 'alert', 'require_approval', 'block']);

/**
 * What the client enforced on a tool call (`bulwark.enforced.*` span attributes, or the `enforced` records of
 * a verdict request): `source` says whether it came from a verdict or from a fallback because none arrived.
 */
export const ToolCallEnforcementSchema = z.object({
  decision: enforcedDecision,
  source: z.enum(['verdict', 'fallback_timeout', 'fallback_error', 'fallback_unavailable']),
  reason: textString(2_000).optional(),
  /** The decision of the verdict the client acted on (absent on a fallback). */
  verdictDecision: enforcedDecision.optional(),
  /** The collector's own inline decision on the call, when it remembers one; set by Bulwark, never by the agent. */
  inlineDecision: enforcedDecision.optional(),
});
export type ToolCallEnforcement = z.infer<typeof ToolCallEnforcementSchema>;

export const ToolCallEventSchema = EventBaseSchema.extend({
  kind: z.literal('tool_call'),
  toolCallId: idString(),
  toolName: idString(512, 1),
  arguments: jsonRecord().default({}),
  /** What the client enforced on this call, when it reported it. */
  enforced: ToolCallEnforcementSchema.optional(),
});

export const ToolResultEventSchema = EventBaseSchema.extend({
  kind: z.literal('tool_result'),
  toolCallId: idString(),
  toolName: idString().default(''),
  /** Result text (MCP content text parts joined; structured content as JSON). Untrusted. */
  content: textString(),
  isError: z.boolean().default(false),
});

export const ResourceReadEventSchema = EventBaseSchema.extend({
  kind: z.literal('resource_read'),
  uri: idString(8192),
  content: textString().default(''),
});

export const AgentMessageEventSchema = EventBaseSchema.extend({
  kind: z.literal('agent_message'),
  direction: z.enum(['sent', 'received']),
  /** The other agent (recipient when sent, sender when received). */
  peerAgent: idString(),
  content: textString(),
  conversationId: idString().optional(),
});

/**
 * The normalized event the detectors consume. One discriminated union over `kind`.
 *
 * @example
 * const ev = AgentEventSchema.parse({ kind: 'tool_call', eventId: 'e1', sessionId: 's1', timestampMillis: 0,
 *   toolCallId: 'c1', toolName: 'send_email', arguments: { to: 'a@b.c' } });
 */
export const AgentEventSchema = z.discriminatedUnion('kind', [
  PromptEventSchema,
  CompletionEventSchema,
  ToolDefinitionsEventSchema,
  ToolCallEventSchema,
  ToolResultEventSchema,
  ResourceReadEventSchema,
  AgentMessageEventSchema,
]);

export type AgentEvent = z.infer<typeof AgentEventSchema>;
/** Input form (defaults optional), for producers. */
export type AgentEventInput = z.input<typeof AgentEventSchema>;
export type AgentEventKind = AgentEvent['kind'];
export type PromptEvent = z.infer<typeof PromptEventSchema>;
export type CompletionEvent = z.infer<typeof CompletionEventSchema>;
export type ToolDefinitionsEvent = z.infer<typeof ToolDefinitionsEventSchema>;
export type ToolCallEvent = z.infer<typeof ToolCallEventSchema>;
export type ToolResultEvent = z.infer<typeof ToolResultEventSchema>;
export type ResourceReadEvent = z.infer<typeof ResourceReadEventSchema>;
export type AgentMessageEvent = z.infer<typeof AgentMessageEventSchema>;

export const AGENT_EVENT_KINDS = [
  'prompt',
  'completion',
  'tool_definitions',
  'tool_call',
  'tool_result',
  'resource_read',
  'agent_message',
] as const satisfies readonly AgentEventKind[];

/** Kafka message key / session affinity key: one session stays ordered on one partition. */
export function sessionKey(tenantId: string, sessionId: string): string {
  return `${tenantId}\u0000${sessionId}`;
}

/** How far a sender's clock may be from Bulwark's before its time is replaced by the received time. */
export interface ClockSkewBounds {
  /** Claimed times further in the past than this are implausible. Default one day (delayed exports, long spans). */
  maxPastMillis: number;
  /** Claimed times further in the future than this are implausible. Default five minutes (NTP-level skew). */
  maxFutureMillis: number;
}

/** Default {@link ClockSkewBounds}. */
export const CLOCK_SKEW_BOUNDS: Readonly<ClockSkewBounds> = {
  maxPastMillis: 24 * 60 * 60 * 1000,
  maxFutureMillis: 5 * 60 * 1000,
};

/**
 * Stamps Bulwark's receive time on the events of one request (in place) and clamps implausible claimed
 * times: a time more than `maxPastMillis` before or `maxFutureMillis` after `receivedAtMillis` is kept as
 * `claimedTimestampMillis` (for display) and `timestampMillis` moves to the received time, so an agent that
 * sets its own span times can neither hide its calls before the retention window nor push them past it.
 * The clamped events of a request move together (the latest past claim, and the earliest future claim,
 * land on the received time), so their order survives a replay; none ends up more than `maxFutureMillis`
 * from the received time.
 * Returns how many were clamped (count them as `clock_skew`).
 *
 * @example
 * const skewed = stampReceivedTimes(events, Date.now()); // receivedAtMillis set; 1970 → now
 */
export function stampReceivedTimes(
  events: readonly AgentEvent[],
  receivedAtMillis: number,
  bounds: Readonly<ClockSkewBounds> = CLOCK_SKEW_BOUNDS,
): number {
  const lo = receivedAtMillis - bounds.maxPastMillis;
  const hi = receivedAtMillis + bounds.maxFutureMillis;
  let latestPast = Number.NEGATIVE_INFINITY;
  let earliestFuture = Number.POSITIVE_INFINITY;
  for (const e of events) {
    // Whatever the sender put in Bulwark's own fields is replaced.
    if (e.claimedTimestampMillis !== undefined) {
      e.timestampMillis = e.claimedTimestampMillis;
      delete e.claimedTimestampMillis;
    }
    e.receivedAtMillis = receivedAtMillis;
    if (e.timestampMillis < lo) latestPast = Math.max(latestPast, e.timestampMillis);
    else if (e.timestampMillis > hi) earliestFuture = Math.min(earliestFuture, e.timestampMillis);
  }
  let clamped = 0;
  for (const e of events) {
    const t = e.timestampMillis;
    if (t >= lo && t <= hi) continue;
    // Within a few minutes of the received time (`maxFutureMillis`), so a short hunt window still finds them.
    const window = bounds.maxFutureMillis;
    e.claimedTimestampMillis = t;
    e.timestampMillis =
      t < lo
        ? Math.max(receivedAtMillis - window, receivedAtMillis - (latestPast - t))
        : Math.min(receivedAtMillis + window, receivedAtMillis + (t - earliestFuture));
    clamped += 1;
  }
  return clamped;
}

/** {@link stampReceivedTimes} for one event: true when its time was clamped. */
export function stampReceivedTime(
  event: AgentEvent,
  receivedAtMillis: number,
  bounds: Readonly<ClockSkewBounds> = CLOCK_SKEW_BOUNDS,
): boolean {
  return stampReceivedTimes([event], receivedAtMillis, bounds) === 1;
}
