export type {
  AgentEvent,
  AgentEventInput,
  AgentEventKind,
  AgentMessageEvent,
  ClockSkewBounds,
  CompletionEvent,
  PromptEvent,
  RequestedToolCall,
  ResourceReadEvent,
  ToolAnnotations,
  ToolCallEnforcement,
  ToolCallEvent,
  ToolDefinition,
  ToolDefinitionsEvent,
  ToolResultEvent,
} from './agent-event.js';
export {
  AGENT_EVENT_KINDS,
  AgentEventSchema,
  AgentMessageEventSchema,
  CLOCK_SKEW_BOUNDS,
  CompletionEventSchema,
  EventBaseSchema,
  findLoneSurrogate,
  hasLoneSurrogate,
  idString,
  isSafeId,
  jsonRecord,
  MAX_TIMESTAMP_MILLIS,
  PromptEventSchema,
  RequestedToolCallSchema,
  ResourceReadEventSchema,
  sessionKey,
  stampReceivedTime,
  stampReceivedTimes,
  TimestampMillisSchema,
  ToolAnnotationsSchema,
  ToolCallEnforcementSchema,
  ToolCallEventSchema,
  ToolDefinitionSchema,
  ToolDefinitionsEventSchema,
  ToolResultEventSchema,
  textString,
} from './agent-event.js';
export type { ApprovalAnswer, ApprovalStatus, ApprovalSubject, ApprovalWait } from './approval.js';
export { ApprovalAnswerSchema, ApprovalWaitSchema, approvalId } from './approval.js';
export { BulwarkError, ContractValidationError, isRetriable, RetryExhaustedError } from './errors.js';
export type {
  BusRecord,
  BusSubscription,
  BusTopic,
  EventBus,
  PublishOptions,
  PublishResult,
  SubscribeOptions,
} from './event-bus.js';
export { BUS_TOPICS } from './event-bus.js';
export type { Alert, Finding } from './finding.js';
export { AlertSchema, FindingSchema } from './finding.js';
export type { FormatZodIssuesOptions, ZodIssueLike } from './format-zod-issues.js';
export { formatZodIssue, formatZodIssues, zodIssuePath } from './format-zod-issues.js';
export type {
  GuardrailActionType,
  GuardrailAttributes,
  GuardrailFinding,
  GuardrailSpanShape,
  GuardrailVerdictType,
} from './guardrail-semconv.js';
export {
  EVENT_GEN_AI_GUARDRAIL_SECURITY_FINDING,
  GUARDRAIL_SEMCONV_DRAFT,
  guardrailRiskCategory,
  verdictToGuardrailSpan,
} from './guardrail-semconv.js';
export type { RetryOptions } from './retry.js';
export { backoffDelay, retry } from './retry.js';
export type {
  PersonalDataClass,
  PersonalDataKind,
  SecretKind,
  SensitiveDataKind,
  SensitivePattern,
} from './sensitive-data-catalogue.js';
export {
  ADDRESS_GATE,
  abaRoutingValid,
  BARE_PERSONAL_CONTEXT,
  BIRTH_GATE,
  CALENDAR_DATE,
  CARD_NUMBER_PATTERN,
  CARD_NUMBER_RUN,
  CONTEXT_GAP,
  cardIssuerPlausible,
  classifyCode,
  classifyDigitRun,
  classifyIbanRun,
  contextPhrase,
  DIGIT_RUN,
  entropy,
  forEachCodeRun,
  forEachTokenRun,
  HAS_DIGIT,
  HIGH_ENTROPY_MIN_LENGTH,
  hasPersonalDataContext,
  hasPersonalQualifier,
  IBAN_RUN,
  ibanValid,
  isHighEntropyToken,
  isSecretFieldName,
  isTokenChar,
  luhnValid,
  NOT_PERSONAL_CONTEXT,
  PERSON_RECORD_CHARS,
  PERSON_RECORD_FIELD,
  PERSONAL_DATA_CONTEXT,
  PERSONAL_DATA_KINDS,
  patternValue,
  personalDataContextWindow,
  personalDataKey,
  personalDataRecordWindow,
  REDACTION_LABELS,
  REDACTION_MASK,
  ROUTING_NUMBER_CONTEXT,
  redactionMask,
  SECRET_FIELD_LABEL,
  SECRET_FIELD_NAME,
  SECRET_KINDS,
  SECRET_PATTERNS,
  SSN_FORMAT,
  STREET_ADDRESS,
  STREET_SUFFIX,
} from './sensitive-data-catalogue.js';

import * as semconv from './semconv.js';

export type { Attributes, AttributeValue } from './span-attributes.js';
export { promptEventId, toolResultEventId } from './span-attributes.js';
export type {
  OtlpJsonSpan,
  OtlpKeyValue,
  ReadableSpanLike,
  SpanLike,
  SpanMapOptions,
  SpanMapResult,
} from './span-decoder.js';
export { fromOtlpJsonSpan, fromReadableSpan, otlpAttributes, spanToAgentEvents } from './span-decoder.js';
export type {
  CaptureFlags,
  CapturePolicy,
  ChatEncodeOptions,
  ChatInput,
  ChatMessageInput,
  ChatPartInput,
  SpanEncodeOptions,
  SpanShape,
} from './span-encoder.js';
export { agentEventToSpan, chatToSpanAttributes, FULL_CAPTURE } from './span-encoder.js';
export { stableHash, stableStringify, toolDefinitionHash } from './stable-hash.js';
export { toToolDefinition, toToolDefinitions } from './tool-definition.js';
export type {
  Decision,
  EnforcedDecision,
  EnforcedSource,
  Evidence,
  FallbackKind,
  PendingToolCall,
  Reason,
  Severity,
  Verdict,
  VerdictRequest,
  VerdictRequestInput,
} from './verdict.js';
export {
  DECISION_RANK,
  DecisionSchema,
  EnforcedDecisionSchema,
  EnforcedSourceSchema,
  EvidenceSchema,
  FallbackKindSchema,
  PendingToolCallSchema,
  ReasonSchema,
  SEVERITY_RANK,
  SeveritySchema,
  stricterDecision,
  VerdictRequestSchema,
  VerdictSchema,
} from './verdict.js';
export type { VerdictProvider } from './verdict-provider.js';
export { semconv };
