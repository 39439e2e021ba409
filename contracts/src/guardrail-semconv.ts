import type { Decision, Verdict } from './verdict.js';

/**
 * OpenTelemetry GenAI guardrail names, and the one mapping from a Bulwark verdict onto them.
 *
 * Pinned to the DRAFT in open-telemetry/semantic-conventions-genai PR #427 ("gen-ai: add run guardrail span
 * and security finding", open, stability: development; names as of its commit fffe24ae, Sept 2026): the
 * `gen_ai.run_guardrail.internal` span with base `gen_ai.guardrail.*` attributes and the opt-in
 * `gen_ai.guardrail.security.*` overlay. It succeeds #262 (which used `gen_ai.security.*`). Names are
 * copied here, not imported, until a semantic-conventions release carries them; when the draft moves,
 * this file (and only this file) changes.
 */
export const GUARDRAIL_SEMCONV_DRAFT = 'open-telemetry/semantic-conventions-genai#427@fffe24ae';

export const GEN_AI_OPERATION_RUN_GUARDRAIL = 'run_guardrail';
export const ATTR_GEN_AI_GUARDRAIL_COMPONENT_NAME = 'gen_ai.guardrail.component.name';
export const ATTR_GEN_AI_GUARDRAIL_TARGET_TYPE = 'gen_ai.guardrail.target.type';
export const ATTR_GEN_AI_GUARDRAIL_TARGET_SUBTYPE = 'gen_ai.guardrail.target.subtype';
export const ATTR_GEN_AI_GUARDRAIL_TARGET_ID = 'gen_ai.guardrail.target.id';
export const ATTR_GEN_AI_GUARDRAIL_VERDICT_TYPE = 'gen_ai.guardrail.verdict.type';
export const ATTR_GEN_AI_GUARDRAIL_VERDICT_REASON = 'gen_ai.guardrail.verdict.reason';
export const ATTR_GEN_AI_GUARDRAIL_VERDICT_CODE = 'gen_ai.guardrail.verdict.code';
export const ATTR_GEN_AI_GUARDRAIL_ACTION_TYPE = 'gen_ai.guardrail.action.type';
export const ATTR_GEN_AI_GUARDRAIL_SECURITY_POLICY_ID = 'gen_ai.guardrail.security.policy.id';
export const ATTR_GEN_AI_GUARDRAIL_SECURITY_POLICY_RULE_ID = 'gen_ai.guardrail.security.policy.rule.id';
export const ATTR_GEN_AI_GUARDRAIL_SECURITY_RISK_CATEGORY = 'gen_ai.guardrail.security.risk.category';
export const ATTR_GEN_AI_GUARDRAIL_SECURITY_RISK_SCORE = 'gen_ai.guardrail.security.risk.score';
export const ATTR_GEN_AI_GUARDRAIL_SECURITY_CONTENT_INPUT_HASH =
  'gen_ai.guardrail.security.content.input.hash';
/** The draft's finding event (one per reason), carried as a span event. */
export const EVENT_GEN_AI_GUARDRAIL_SECURITY_FINDING = 'gen_ai.guardrail.security.finding';

/** The draft's verdict values Bulwark uses (`gen_ai.guardrail.verdict.type`). */
export type GuardrailVerdictType = 'allow' | 'deny' | 'warn';
/** The draft's action values Bulwark uses (`gen_ai.guardrail.action.type`): what the caller enforces. */
export type GuardrailActionType = 'allow' | 'block' | 'escalate';

/** Bulwark decision → draft verdict and action: `alert` lets the call run (warn), approval escalates to a human. */
const DECISION_MAP: Readonly<
  Record<Decision, { verdict: GuardrailVerdictType; action: GuardrailActionType }>
> = {
  allow: { verdict: 'allow', action: 'allow' },
  alert: { verdict: 'warn', action: 'allow' },
  require_approval: { verdict: 'warn', action: 'escalate' },
  block: { verdict: 'deny', action: 'block' },
};

/**
 * Detector family (the id's first segment) → risk category, named after the OWASP Top 10 for LLM
 * Applications 2025 entries, as the draft's examples do. Unknown families (custom detectors) get none.
 */
const RISK_BY_FAMILY: Readonly<Record<string, string>> = {
  injection: 'prompt_injection',
  exfil: 'sensitive_information_disclosure',
  tools: 'supply_chain',
  args: 'excessive_agency',
  sequence: 'excessive_agency',
  policy: 'excessive_agency',
};

const SEVERITY_SCORE: Readonly<Record<string, number>> = {
  info: 0,
  low: 0.25,
  medium: 0.5,
  high: 0.75,
  critical: 1,
};

/** Attribute values as OpenTelemetry accepts them. */
export type GuardrailAttributes = Record<string, string | number | boolean | string[]>;

/** One finding (a verdict reason) as the draft's `gen_ai.guardrail.security.finding` event. */
export interface GuardrailFinding {
  name: typeof EVENT_GEN_AI_GUARDRAIL_SECURITY_FINDING;
  attributes: GuardrailAttributes;
}

/** A verdict as one guardrail span: name, attributes and finding events (no raw content anywhere). */
export interface GuardrailSpanShape {
  name: string;
  attributes: GuardrailAttributes;
  findings: GuardrailFinding[];
  /** True when the call was refused (the span's status is then ERROR). */
  refused: boolean;
}

/** Risk category of a detector id, or undefined for a detector family the mapping does not know. */
export function guardrailRiskCategory(detectorId: string): string | undefined {
  return RISK_BY_FAMILY[detectorId.split('.')[0] ?? ''];
}

/**
 * Maps a verdict onto the draft guardrail span. Content is never copied: the arguments appear only as the
 * verdict's argument hash, and reasons only as detector ids, severities and decisions (reason messages quote
 * argument values, so they stay in Bulwark's own store).
 *
 * @example
 * const span = verdictToGuardrailSpan(verdict, { policyId: 'default' });
 * span.attributes['gen_ai.guardrail.verdict.type']; // 'deny' for a block
 */
export function verdictToGuardrailSpan(
  verdict: Verdict,
  options: { componentName?: string; policyId?: string } = {},
): GuardrailSpanShape {
  const mapped = DECISION_MAP[verdict.decision];
  const top = verdict.reasons.find((r) => r.decision === verdict.decision) ?? verdict.reasons[0];
  const attributes: GuardrailAttributes = {
    'gen_ai.operation.name': GEN_AI_OPERATION_RUN_GUARDRAIL,
    [ATTR_GEN_AI_GUARDRAIL_COMPONENT_NAME]: options.componentName ?? 'bulwark',
    [ATTR_GEN_AI_GUARDRAIL_TARGET_TYPE]: 'input',
    [ATTR_GEN_AI_GUARDRAIL_TARGET_SUBTYPE]: 'tool_call',
    [ATTR_GEN_AI_GUARDRAIL_TARGET_ID]: verdict.toolCallId,
    [ATTR_GEN_AI_GUARDRAIL_VERDICT_TYPE]: mapped.verdict,
    [ATTR_GEN_AI_GUARDRAIL_ACTION_TYPE]: mapped.action,
    'gen_ai.tool.name': verdict.toolName,
    'gen_ai.conversation.id': verdict.sessionId,
    'bulwark.tenant.id': verdict.tenantId,
    'bulwark.verdict.decision': verdict.decision,
    'bulwark.verdict.source': verdict.source,
    'bulwark.verdict.decision_time_us': verdict.decisionTimeMicros,
  };
  if (options.policyId) attributes[ATTR_GEN_AI_GUARDRAIL_SECURITY_POLICY_ID] = options.policyId;
  if (verdict.argumentsHash)
    attributes[ATTR_GEN_AI_GUARDRAIL_SECURITY_CONTENT_INPUT_HASH] = verdict.argumentsHash;
  if (verdict.detectorIds.length > 0) attributes['bulwark.detector.ids'] = [...verdict.detectorIds];
  if (top) {
    attributes[ATTR_GEN_AI_GUARDRAIL_VERDICT_REASON] = `${top.detectorId}: ${top.severity} ${top.decision}`;
    attributes[ATTR_GEN_AI_GUARDRAIL_VERDICT_CODE] = top.detectorId;
    attributes[ATTR_GEN_AI_GUARDRAIL_SECURITY_POLICY_RULE_ID] = top.detectorId;
    attributes[ATTR_GEN_AI_GUARDRAIL_SECURITY_RISK_SCORE] = SEVERITY_SCORE[top.severity] ?? 0;
    const risk = guardrailRiskCategory(top.detectorId);
    if (risk) attributes[ATTR_GEN_AI_GUARDRAIL_SECURITY_RISK_CATEGORY] = risk;
  }
  const findings: GuardrailFinding[] = verdict.reasons.map((r) => {
    const a: GuardrailAttributes = {
      [ATTR_GEN_AI_GUARDRAIL_TARGET_TYPE]: 'input',
      [ATTR_GEN_AI_GUARDRAIL_TARGET_SUBTYPE]: 'tool_call',
      [ATTR_GEN_AI_GUARDRAIL_TARGET_ID]: verdict.toolCallId,
      [ATTR_GEN_AI_GUARDRAIL_ACTION_TYPE]: DECISION_MAP[r.decision].action,
      [ATTR_GEN_AI_GUARDRAIL_SECURITY_POLICY_ID]: options.policyId ?? 'bulwark',
      [ATTR_GEN_AI_GUARDRAIL_SECURITY_POLICY_RULE_ID]: r.detectorId,
      [ATTR_GEN_AI_GUARDRAIL_SECURITY_RISK_CATEGORY]: guardrailRiskCategory(r.detectorId) ?? 'other',
      [ATTR_GEN_AI_GUARDRAIL_SECURITY_RISK_SCORE]: SEVERITY_SCORE[r.severity] ?? 0,
    };
    return { name: EVENT_GEN_AI_GUARDRAIL_SECURITY_FINDING, attributes: a };
  });
  return {
    name: `${GEN_AI_OPERATION_RUN_GUARDRAIL} ${verdict.toolName}`,
    attributes,
    findings,
    refused: verdict.decision === 'block',
  };
}
