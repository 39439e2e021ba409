import {
  type EnforcedDecision,
  type EnforcedSource,
  semconv as sc,
  stableHash,
  type Verdict,
} from '@bulwark/contracts';
import type { Span } from '@opentelemetry/api';
import type { AgentSession } from './agent-session.js';
import type { CaptureFlags } from './content-capture.js';
import {
  type AgentSdkError,
  ApprovalDeniedError,
  type ApprovalRefusal,
  ToolCallBlockedError,
} from './errors.js';
import { fallbackVerdict } from './fallback-verdict.js';
import { safely, setAttributesSafely } from './safely.js';

/** A tool call about to be sent. */
export interface GuardedToolCall {
  toolCallId: string;
  toolName: string;
  /** The caller's arguments object (read again after the decision to detect changes). */
  arguments: Record<string, unknown>;
  server?: string;
}

/** What the guard decided. On `proceed`, send exactly `arguments` (the snapshot that was decided on). */
export type GuardOutcome =
  | { proceed: true; verdict: Verdict | undefined; arguments: Record<string, unknown>; argumentsHash: string }
  | {
      proceed: false;
      verdict: Verdict;
      refusal: 'blocked' | ApprovalRefusal;
      message: string;
      error: AgentSdkError;
    };

/** JSON copy: what goes on the wire, and immune to later mutation by the caller. */
function snapshot(args: Record<string, unknown>): Record<string, unknown> {
  const copy: unknown = JSON.parse(JSON.stringify(args ?? {}) ?? '{}');
  return copy !== null && typeof copy === 'object' && !Array.isArray(copy)
    ? (copy as Record<string, unknown>)
    : {};
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function firstReason(verdict: Verdict): string {
  const r = verdict.reasons[0];
  if (!r) return `decision ${verdict.decision}`;
  return `${r.message} (detector ${r.detectorId})`;
}

/**
 * Records a verdict that arrived on the tool call's span with the `bulwark.verdict.*` attributes. A fallback
 * is not a verdict: it is recorded by {@link recordEnforced} only.
 */
export function recordVerdict(session: AgentSession, span: Span, verdict: Verdict): void {
  if (verdict.source === 'fallback') return;
  const flags: CaptureFlags = { truncated: false, redacted: false };
  const reasons = verdict.reasons.map((r) => ({
    detectorId: r.detectorId,
    severity: r.severity,
    decision: r.decision,
    // Reason messages may quote the offending text: captured like any other content.
    message: session.captureMode === 'none' ? undefined : r.message,
  }));
  setAttributesSafely(span, {
    [sc.ATTR_BULWARK_VERDICT_DECISION]: verdict.decision,
    [sc.ATTR_BULWARK_VERDICT_SOURCE]: verdict.source,
    [sc.ATTR_BULWARK_VERDICT_DETECTORS]: verdict.detectorIds,
    [sc.ATTR_BULWARK_VERDICT_DECISION_MICROS]: verdict.decisionTimeMicros,
    [sc.ATTR_BULWARK_VERDICT_REASONS]: session.capture.json(reasons, flags) ?? JSON.stringify(reasons),
  });
  if (flags.truncated) setAttributesSafely(span, { [sc.ATTR_BULWARK_CAPTURE_TRUNCATED]: true });
  if (flags.redacted) setAttributesSafely(span, { [sc.ATTR_BULWARK_CAPTURE_REDACTED]: true });
}

/** `bulwark.enforced.source` of a verdict: where the decision that was applied came from. */
export function enforcedSource(verdict: Verdict): EnforcedSource {
  if (verdict.source !== 'fallback') return 'verdict';
  // A provider's own fallback without a kind could not reach its backend.
  return `fallback_${verdict.fallbackKind ?? 'unavailable'}`;
}

/**
 * What was enforced on a decided call: on the span (`bulwark.enforced.*`) and queued for the next verdict
 * request. `require_approval` resolves to what the approval made of it (`allow` when approved).
 */
export function recordEnforced(
  session: AgentSession,
  span: Span,
  call: GuardedToolCall,
  outcome: GuardOutcome,
): void {
  const verdict = outcome.verdict;
  if (!verdict) return; // observe-only: nothing was decided, nothing enforced
  safely(
    'record enforced decision',
    () => {
      const source = enforcedSource(verdict);
      const decision = !outcome.proceed
        ? 'block'
        : verdict.decision === 'require_approval'
          ? 'allow'
          : verdict.decision;
      const why =
        source !== 'verdict'
          ? verdict.reasons[0]?.message
          : !outcome.proceed && outcome.refusal !== 'blocked'
            ? `refused: ${outcome.refusal}`
            : undefined;
      const enforced: EnforcedDecision = {
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        decision,
        source,
        timestampMillis: Date.now(),
      };
      if (source === 'verdict') enforced.verdictDecision = verdict.decision;
      if (why !== undefined) enforced.reason = why.slice(0, 2_000);
      setAttributesSafely(span, {
        [sc.ATTR_BULWARK_ENFORCED_DECISION]: decision,
        [sc.ATTR_BULWARK_ENFORCED_SOURCE]: source,
        [sc.ATTR_BULWARK_ENFORCED_REASON]: why,
      });
      session.recordEnforced(enforced);
    },
    undefined,
  );
}

/**
 * The inline guard: asks the session's provider about a pending tool call and applies the decision.
 * `allow`/`alert` proceed; `block` refuses; `require_approval` asks `onApprovalRequired`, bound to the tool
 * call id and `stableHash(arguments)`. If the caller's arguments change while the decision is pending, the
 * call is refused. Never throws: guard failures become the session's fallback verdict.
 *
 * @example
 * const outcome = await guardToolCall(session, span, { toolCallId, toolName, arguments: args });
 * if (!outcome.proceed) return { isError: true, content: [{ type: 'text', text: outcome.message }] };
 */
export async function guardToolCall(
  session: AgentSession,
  span: Span,
  call: GuardedToolCall,
): Promise<GuardOutcome> {
  const outcome = await decideToolCall(session, span, call);
  recordEnforced(session, span, call, outcome);
  return outcome;
}

async function decideToolCall(
  session: AgentSession,
  span: Span,
  call: GuardedToolCall,
): Promise<GuardOutcome> {
  let args: Record<string, unknown>;
  let argumentsHash: string;
  try {
    args = snapshot(call.arguments);
    argumentsHash = stableHash(args);
  } catch (err) {
    // Arguments that cannot be serialized cannot be sent either; let the client report it.
    safely(
      'note unserializable arguments',
      () => span.setAttribute(sc.ATTR_ERROR_TYPE, 'invalid_arguments'),
      undefined,
    );
    void err;
    return { proceed: true, verdict: undefined, arguments: call.arguments, argumentsHash: '' };
  }
  const pending = { toolCallId: call.toolCallId, toolName: call.toolName, arguments: args };
  let verdict: Verdict | undefined;
  try {
    verdict = await session.decide(call.server ? { ...pending, server: call.server } : pending);
  } catch (err) {
    verdict = fallbackVerdict(
      { sessionId: session.sessionId, tenantId: session.tenantId, toolCall: pending, events: [] },
      session.onVerdictUnavailable,
      `guard failed: ${err instanceof Error ? err.message : String(err)}`,
      0,
      'error',
    );
  }
  if (verdict) recordVerdict(session, span, verdict);

  const refuse = (refusal: 'blocked' | ApprovalRefusal, message: string, v: Verdict): GuardOutcome => {
    if (refusal !== 'blocked') setAttributesSafely(span, { [sc.ATTR_BULWARK_APPROVAL_OUTCOME]: refusal });
    const error =
      refusal === 'blocked' || (refusal === 'arguments_changed' && v.decision !== 'require_approval')
        ? new ToolCallBlockedError(message, v, call.toolName, call.toolCallId)
        : new ApprovalDeniedError(message, v, refusal, call.toolName, call.toolCallId);
    return { proceed: false, verdict: v, refusal, message, error };
  };

  if (verdict?.decision === 'block') {
    return refuse(
      'blocked',
      `Bulwark blocked tool call "${call.toolName}": ${firstReason(verdict)}`,
      verdict,
    );
  }
  if (verdict?.decision === 'require_approval') {
    const handler = session.onApprovalRequired;
    if (!handler)
      return refuse(
        'no_handler',
        `Tool call "${call.toolName}" requires approval (${firstReason(verdict)}) and no approval handler is configured`,
        verdict,
      );
    let approved = false;
    try {
      approved =
        (await handler({
          toolCallId: call.toolCallId,
          toolName: call.toolName,
          arguments: deepFreeze(snapshot(args)),
          argumentsHash,
          verdict,
        })) === true;
    } catch (err) {
      return refuse(
        'handler_failed',
        `Tool call "${call.toolName}" requires approval and the approval handler failed: ${
          err instanceof Error ? err.message : String(err)
        }`,
        verdict,
      );
    }
    if (!approved)
      return refuse(
        'denied',
        `Tool call "${call.toolName}" was not approved: ${firstReason(verdict)}`,
        verdict,
      );
  }
  // Time-of-check/time-of-use: what runs must be what was decided (and approved) on.
  let currentHash: string;
  try {
    currentHash = stableHash(snapshot(call.arguments));
  } catch {
    currentHash = '';
  }
  if (currentHash !== argumentsHash) {
    const v =
      verdict ??
      fallbackVerdict(
        { sessionId: session.sessionId, tenantId: session.tenantId, toolCall: pending, events: [] },
        'block',
        'arguments changed',
        0,
        'error',
      );
    return refuse(
      'arguments_changed',
      `Tool call "${call.toolName}" was refused: its arguments changed after the ${
        v.decision === 'require_approval' ? 'approval' : 'verdict'
      }`,
      v,
    );
  }
  if (verdict?.decision === 'require_approval')
    setAttributesSafely(span, { [sc.ATTR_BULWARK_APPROVAL_OUTCOME]: 'approved' });
  return { proceed: true, verdict, arguments: args, argumentsHash };
}
