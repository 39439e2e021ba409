import {
  DecisionSchema,
  EnforcedSourceSchema,
  findLoneSurrogate,
  hasLoneSurrogate,
  isSafeId,
  MAX_TIMESTAMP_MILLIS,
} from '@bulwark/contracts';

// A fast path in front of `VerdictRequestSchema` for the request's head (everything but `events`, which are
// validated one by one in time slices): the same refinements as plain checks, with no parse, no copy and no
// issue objects. It only ever says "certainly valid, and zod would return it as is"; anything else (an
// unknown key, a defaulted field left out, a value out of bounds) goes to zod, so refusals and their
// messages are zod's, unchanged. The key lists are the schemas' shapes (check-verdict-head.test.ts fails
// when a schema gains a key, and tries every field with boundary values against zod).

/** `VerdictRequestSchema`'s keys. */
export const HEAD_KEYS = new Set([
  'tenantId',
  'sessionId',
  'agentId',
  'toolCall',
  'events',
  'timestampMillis',
  'enforced',
]);
/** `PendingToolCallSchema`'s keys. */
export const TOOL_CALL_KEYS = new Set(['toolCallId', 'toolName', 'arguments', 'server']);
/** `EnforcedDecisionSchema`'s keys. */
export const ENFORCED_KEYS = new Set([
  'toolCallId',
  'toolName',
  'decision',
  'source',
  'verdictDecision',
  'reason',
  'timestampMillis',
]);
const DECISIONS = new Set<unknown>(DecisionSchema.options);
const SOURCES = new Set<unknown>(EnforcedSourceSchema.options);
const MAX_ENFORCED = 10_000;

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** `idString(max, min)`. */
const isId = (v: unknown, max = 512, min = 0): boolean =>
  typeof v === 'string' && v.length >= min && v.length <= max && isSafeId(v);
const optId = (v: unknown, max = 512, min = 0): boolean => v === undefined || isId(v, max, min);
/** `TimestampMillisSchema` (NaN fails both comparisons, ±Infinity one of them). */
const isTime = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= MAX_TIMESTAMP_MILLIS;

/** Only keys from `allowed` (zod would strip others: let it). */
function onlyKeys(o: Obj, allowed: Set<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

/** `jsonRecord()` with a value present: a plain object whose keys and strings are valid Unicode. */
function isJsonRecord(v: unknown): boolean {
  if (!isObject(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  // zod rebuilds records key by key, and a `__proto__` key would not survive that: keep zod's behaviour.
  if (Object.hasOwn(v, '__proto__')) return false;
  return findLoneSurrogate(v) === undefined;
}

function isToolCall(v: unknown): boolean {
  return (
    isObject(v) &&
    onlyKeys(v, TOOL_CALL_KEYS) &&
    isId(v.toolCallId, 512, 1) &&
    isId(v.toolName, 512, 1) &&
    isJsonRecord(v.arguments) &&
    optId(v.server)
  );
}

function isEnforcedList(v: unknown): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v) || v.length > MAX_ENFORCED) return false;
  for (const e of v) {
    if (
      !isObject(e) ||
      !onlyKeys(e, ENFORCED_KEYS) ||
      !isId(e.toolCallId, 512, 1) ||
      !isId(e.toolName) ||
      !DECISIONS.has(e.decision) ||
      !SOURCES.has(e.source) ||
      (e.verdictDecision !== undefined && !DECISIONS.has(e.verdictDecision)) ||
      (e.reason !== undefined &&
        (typeof e.reason !== 'string' || e.reason.length > 2_000 || hasLoneSurrogate(e.reason))) ||
      !isTime(e.timestampMillis)
    )
      return false;
  }
  return true;
}

/**
 * True when `head` (a verdict request, its `events` not looked at) certainly passes `VerdictRequestSchema`
 * and zod would return it unchanged. False means "ask zod": it is not a refusal.
 *
 * @example
 * const ok = isCheckedVerdictHead(body) || VerdictRequestSchema.safeParse({ ...body, events: [] }).success;
 */
export function isCheckedVerdictHead(head: Obj): boolean {
  return (
    onlyKeys(head, HEAD_KEYS) &&
    optId(head.tenantId, 512, 1) &&
    isId(head.sessionId, 512, 1) &&
    optId(head.agentId) &&
    isToolCall(head.toolCall) &&
    (head.timestampMillis === undefined || isTime(head.timestampMillis)) &&
    isEnforcedList(head.enforced)
  );
}
