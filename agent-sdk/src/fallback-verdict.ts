import { type FallbackKind, stableHash, type Verdict, type VerdictRequest } from '@bulwark/contracts';

/** Detector id on verdicts made up because no provider answered. */
export const VERDICT_UNAVAILABLE_DETECTOR = 'bulwark.verdict_unavailable';

/**
 * The verdict used when the provider could not answer (timeout, connection error, 5xx, invalid body, a
 * provider that threw): the configured decision, `source: 'fallback'`, `fallbackKind`, and the reason in
 * `reasons[0]`.
 *
 * @example
 * return fallbackVerdict(request, 'block', 'no answer within 250 ms', 250_000, 'timeout');
 */
export function fallbackVerdict(
  request: VerdictRequest,
  decision: 'allow' | 'block',
  why: string,
  elapsedMicros: number,
  kind: FallbackKind,
): Verdict {
  const message =
    decision === 'block'
      ? `verdict unavailable (${why}); failing closed`
      : `verdict unavailable (${why}); failing open`;
  return {
    decision,
    reasons: [
      {
        detectorId: VERDICT_UNAVAILABLE_DETECTOR,
        severity: decision === 'block' ? 'high' : 'low',
        decision,
        message,
        evidence: [],
      },
    ],
    detectorIds: [VERDICT_UNAVAILABLE_DETECTOR],
    decisionTimeMicros: Math.max(0, Math.round(elapsedMicros)),
    tenantId: request.tenantId ?? 'default',
    sessionId: request.sessionId,
    toolCallId: request.toolCall.toolCallId,
    toolName: request.toolCall.toolName,
    argumentsHash: stableHash(request.toolCall.arguments),
    source: 'fallback',
    fallbackKind: kind,
    timestampMillis: Date.now(),
  };
}
