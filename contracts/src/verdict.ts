import { z } from 'zod';
import { AgentEventSchema, idString, jsonRecord, TimestampMillisSchema, textString } from './agent-event.js';

export const SeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  info: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

/** What to do with the tool call. Ordered from most to least permissive. */
export const DecisionSchema = z.enum(['allow', 'alert', 'require_approval', 'block']);
export type Decision = z.infer<typeof DecisionSchema>;
/** Strictness order: the strictest decision wins when detectors disagree. */
export const DECISION_RANK: Readonly<Record<Decision, number>> = {
  allow: 0,
  alert: 1,
  require_approval: 2,
  block: 3,
};

/** One piece of evidence: which event, which text span, which argument. */
export const EvidenceSchema = z.object({
  eventId: z.string().optional(),
  /** What part of the event: `content`, `arguments.to`, `tools[2].description`, ... */
  field: z.string().optional(),
  /** A short excerpt of the offending text (already capped/redacted). */
  excerpt: z.string().max(2_000).optional(),
  start: z.number().int().nonnegative().optional(),
  end: z.number().int().nonnegative().optional(),
  note: z.string().max(2_000).optional(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const ReasonSchema = z.object({
  detectorId: z.string(),
  severity: SeveritySchema,
  decision: DecisionSchema,
  message: z.string(),
  evidence: z.array(EvidenceSchema).default([]),
});
export type Reason = z.infer<typeof ReasonSchema>;

/** The tool call the agent is about to make. */
export const PendingToolCallSchema = z.object({
  toolCallId: idString(512, 1),
  toolName: idString(512, 1),
  arguments: jsonRecord().default({}),
  server: idString().optional(),
});
export type PendingToolCall = z.infer<typeof PendingToolCallSchema>;

/**
 * Where the decision a client enforced came from: a verdict that arrived, or its fallback because none did
 * (`timeout`: no answer in time; `unavailable`: the provider could not be reached or was shut down;
 * `error`: it answered something unusable, or threw).
 */
export const EnforcedSourceSchema = z.enum([
  'verdict',
  'fallback_timeout',
  'fallback_error',
  'fallback_unavailable',
]);
export type EnforcedSource = z.infer<typeof EnforcedSourceSchema>;

/** Why a fallback verdict was made up (on `source: 'fallback'` verdicts). */
export const FallbackKindSchema = z.enum(['timeout', 'error', 'unavailable']);
export type FallbackKind = z.infer<typeof FallbackKindSchema>;

/**
 * What a client actually did with one tool call: `allow`/`alert` ran it, `block` refused it (a blocking
 * verdict, a fallback, a denied approval or arguments changed after the decision). `verdictDecision` is the
 * decision of the verdict that arrived, absent when the decision was a fallback.
 *
 * @example
 * EnforcedDecisionSchema.parse({ toolCallId: 'c1', toolName: 'send_email', decision: 'block', source: 'fallback_timeout', timestampMillis: 0 });
 */
export const EnforcedDecisionSchema = z.object({
  toolCallId: idString(512, 1),
  toolName: idString(),
  decision: DecisionSchema,
  source: EnforcedSourceSchema,
  verdictDecision: DecisionSchema.optional(),
  /** Why the fallback was used, or why the call was refused despite the verdict. */
  reason: textString(2_000).optional(),
  timestampMillis: TimestampMillisSchema,
});
export type EnforcedDecision = z.infer<typeof EnforcedDecisionSchema>;

/**
 * Ask for a verdict before a tool call runs.
 *
 * `events` carries what the caller observed since its previous request (prompts, results, ...), so the
 * answer never depends on the race between span export and the verdict call. Events are applied
 * idempotently by `eventId`.
 *
 * @example
 * VerdictRequestSchema.parse({ sessionId: 's1', toolCall: { toolCallId: 'c1', toolName: 'send_money', arguments: {} } });
 */
export const VerdictRequestSchema = z.object({
  tenantId: idString(512, 1).optional(),
  sessionId: idString(512, 1),
  agentId: idString().optional(),
  toolCall: PendingToolCallSchema,
  events: z.array(AgentEventSchema).max(10_000).default([]),
  /** Epoch ms of the request as the caller saw it; the engine uses it as "now". */
  timestampMillis: TimestampMillisSchema.optional(),
  /**
   * What the caller enforced on its earlier tool calls since its previous delivered request (fallbacks
   * included), so the record shows what ran rather than what a late verdict said.
   */
  enforced: z.array(EnforcedDecisionSchema).max(10_000).optional(),
});
export type VerdictRequest = z.infer<typeof VerdictRequestSchema>;
export type VerdictRequestInput = z.input<typeof VerdictRequestSchema>;

/**
 * The answer: the strictest decision of all detectors, with every reason kept.
 *
 * @example
 * if (verdict.decision === 'block') return { isError: true, content: [{ type: 'text', text: verdict.reasons[0]?.message ?? '' }] };
 */
export const VerdictSchema = z.object({
  decision: DecisionSchema,
  reasons: z.array(ReasonSchema).default([]),
  detectorIds: z.array(z.string()).default([]),
  /** Time the engine spent deciding, microseconds. */
  decisionTimeMicros: z.number().nonnegative(),
  tenantId: z.string(),
  sessionId: z.string(),
  toolCallId: z.string(),
  toolName: z.string(),
  /** Hash of the exact arguments decided on; approvals are bound to it. */
  argumentsHash: z.string().optional(),
  /** Who decided: `engine`, `remote`, or `fallback` when the provider was unavailable. */
  source: z.enum(['engine', 'remote', 'fallback']).default('engine'),
  /** On `source: 'fallback'`: why no verdict arrived. */
  fallbackKind: FallbackKindSchema.optional(),
  timestampMillis: z.number().nonnegative(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** The stricter of two decisions. */
export function stricterDecision(a: Decision, b: Decision): Decision {
  return DECISION_RANK[a] >= DECISION_RANK[b] ? a : b;
}
