import type { AgentEvent } from './agent-event.js';
import { findLoneSurrogate, hasLoneSurrogate, isSafeId, MAX_TIMESTAMP_MILLIS } from './agent-event.js';

// A fast path in front of `AgentEventSchema` for events Bulwark builds itself (the span mapper): the same
// refinements (isSafeId, hasLoneSurrogate, the timestamp bounds, the length limits), as plain checks with no
// parse, no copy and no issue objects. It only ever says "certainly valid, and zod would return it as is";
// anything else (an unknown key, a defaulted field left out, a value out of bounds, tool definitions) goes
// to zod, so refusals and their messages are zod's, unchanged.

const BASE_KEYS = [
  'kind',
  'eventId',
  'tenantId',
  'sessionId',
  'agentId',
  'agentName',
  'traceId',
  'spanId',
  'parentSpanId',
  'timestampMillis',
  'receivedAtMillis',
  'claimedTimestampMillis',
  'server',
];
const keys = (...extra: string[]) => new Set([...BASE_KEYS, ...extra]);
const KEYS: Partial<Record<AgentEvent['kind'], Set<string>>> = {
  prompt: keys('role', 'content'),
  completion: keys('content', 'toolCalls', 'model', 'provider', 'inputTokens', 'outputTokens'),
  tool_call: keys('toolCallId', 'toolName', 'arguments', 'enforced'),
  tool_result: keys('toolCallId', 'toolName', 'content', 'isError'),
  resource_read: keys('uri', 'content'),
  agent_message: keys('direction', 'peerAgent', 'content', 'conversationId'),
};
const ROLES = new Set(['system', 'developer', 'user']);
const DIRECTIONS = new Set(['sent', 'received']);
const DECISIONS = new Set(['allow', 'alert', 'require_approval', 'block']);
const ENFORCED_SOURCES = new Set(['verdict', 'fallback_timeout', 'fallback_error', 'fallback_unavailable']);
const ENFORCED_KEYS = new Set(['decision', 'source', 'reason', 'verdictDecision', 'inlineDecision']);
const CALL_KEYS = new Set(['toolCallId', 'toolName', 'arguments']);

type Obj = Record<string, unknown>;

/** `idString(max, min)`. */
const isId = (v: unknown, max = 512, min = 0): boolean =>
  typeof v === 'string' && v.length >= min && v.length <= max && isSafeId(v);
/** `idString(max).optional()`. */
const optId = (v: unknown, max = 512): boolean => v === undefined || isId(v, max);
/** `textString()` (required: a left-out default goes to zod). */
const isText = (v: unknown): boolean => typeof v === 'string' && !hasLoneSurrogate(v);
/** `TimestampMillisSchema` (NaN fails both comparisons, ±Infinity one of them). */
const isTime = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= MAX_TIMESTAMP_MILLIS;
const optTime = (v: unknown): boolean => v === undefined || isTime(v);
const optCount = (v: unknown): boolean => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0);

/** Only own keys from `allowed` (zod would strip others: let it). */
function onlyKeys(o: Obj, allowed: Set<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

/** `jsonRecord()`: a plain object (JSON.parse output) whose keys and strings are valid Unicode. */
function isJsonRecord(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  // zod rebuilds records key by key, and a `__proto__` key would not survive that: keep zod's behaviour.
  if (Object.hasOwn(v, '__proto__')) return false;
  return findLoneSurrogate(v) === undefined;
}

function isEnforcement(v: unknown): boolean {
  if (v === undefined) return true;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const e = v as Obj;
  if (!onlyKeys(e, ENFORCED_KEYS)) return false;
  return (
    DECISIONS.has(e.decision as string) &&
    ENFORCED_SOURCES.has(e.source as string) &&
    (e.reason === undefined ||
      (typeof e.reason === 'string' && e.reason.length <= 2_000 && isText(e.reason))) &&
    (e.verdictDecision === undefined || DECISIONS.has(e.verdictDecision as string)) &&
    (e.inlineDecision === undefined || DECISIONS.has(e.inlineDecision as string))
  );
}

function isRequestedCalls(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const c of v) {
    if (c === null || typeof c !== 'object' || Array.isArray(c)) return false;
    const o = c as Obj;
    if (!onlyKeys(o, CALL_KEYS) || !isId(o.toolCallId) || !isId(o.toolName) || !isJsonRecord(o.arguments))
      return false;
  }
  return true;
}

/**
 * True when `candidate` certainly passes `AgentEventSchema` and zod would return it unchanged, checked
 * without zod (the same shared refinements: `isSafeId`, `hasLoneSurrogate`, timestamp and length bounds).
 * False means "ask zod": it is not a refusal. For events Bulwark builds itself (the span mapper), where
 * zod's parse and copy was a third of the mapping cost.
 *
 * @example
 * const ev = isCheckedAgentEvent(candidate) ? candidate : AgentEventSchema.parse(candidate);
 */
export function isCheckedAgentEvent(candidate: Obj): candidate is AgentEvent {
  const allowed = KEYS[candidate.kind as AgentEvent['kind']];
  if (allowed === undefined || !onlyKeys(candidate, allowed)) return false;
  const e = candidate;
  if (
    !isId(e.eventId, 512, 1) ||
    !isId(e.tenantId, 512, 1) ||
    !isId(e.sessionId, 512, 1) ||
    !optId(e.agentId) ||
    !optId(e.agentName) ||
    !optId(e.traceId, 64) ||
    !optId(e.spanId, 64) ||
    !optId(e.parentSpanId, 64) ||
    !isTime(e.timestampMillis) ||
    !optTime(e.receivedAtMillis) ||
    !optTime(e.claimedTimestampMillis) ||
    !optId(e.server)
  )
    return false;
  switch (e.kind) {
    case 'prompt':
      return ROLES.has(e.role as string) && isText(e.content);
    case 'completion':
      return (
        isText(e.content) &&
        isRequestedCalls(e.toolCalls) &&
        optId(e.model, 256) &&
        optId(e.provider, 256) &&
        optCount(e.inputTokens) &&
        optCount(e.outputTokens)
      );
    case 'tool_call':
      return (
        isId(e.toolCallId) &&
        isId(e.toolName, 512, 1) &&
        isJsonRecord(e.arguments) &&
        isEnforcement(e.enforced)
      );
    case 'tool_result':
      return isId(e.toolCallId) && isId(e.toolName) && isText(e.content) && typeof e.isError === 'boolean';
    case 'resource_read':
      return isId(e.uri, 8192) && isText(e.content);
    case 'agent_message':
      return (
        DIRECTIONS.has(e.direction as string) &&
        isId(e.peerAgent) &&
        isText(e.content) &&
        optId(e.conversationId)
      );
    default:
      return false;
  }
}
