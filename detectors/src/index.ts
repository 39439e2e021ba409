export type {
  DetectionEngineOptions,
  EngineLimits,
  EngineResult,
  IngestResult,
  Reevaluation,
} from './detection-engine.js';
export {
  aggregate,
  DEFAULT_ENGINE_LIMITS,
  DetectionEngine,
  LATE_EVIDENCE_DETECTOR_ID,
} from './detection-engine.js';
export type { Detector, DetectorContext, DetectorOutcome } from './detector.js';
export { EngineVerdictProvider } from './engine-verdict-provider.js';
export { DetectorsError, PolicyError, ToolLockError } from './errors.js';
export { ExfilFlowDetector } from './exfil-flow-detector.js';
export { InjectionChainDetector } from './injection-chain-detector.js';
export type {
  Policy,
  PolicyInput,
  PolicyOverride,
  PolicyRule,
  PolicySections,
  ResolvedPolicy,
} from './policy.js';
export {
  DEFAULT_POLICY,
  globMatch,
  overridesFor,
  PolicySchema,
  parsePolicy,
  resolvePolicy,
  sectionsFor,
} from './policy.js';
export { PolicyRuleDetector } from './policy-rule-detector.js';
export type { AgentDojoEvalOptions, AgentDojoEvalResult } from './replay/agentdojo-evaluator.js';
export { evaluateAgentDojo } from './replay/agentdojo-evaluator.js';
export type { AgentDojoConversation, AgentDojoLabels, ReplayStep } from './replay/agentdojo-replay.js';
export { AgentDojoConversationSchema, stripAnswerKey, toReplaySteps } from './replay/agentdojo-replay.js';
export type { AgentDojoScore, RunOutcome } from './replay/agentdojo-score.js';
export { isBlocking, percentile, scoreAgentDojo } from './replay/agentdojo-score.js';
export { RiskyArgsDetector } from './risky-args-detector.js';
export type { SequenceAnomalyOptions, SequenceModelJson } from './sequence-anomaly-detector.js';
export { SequenceAnomalyDetector } from './sequence-anomaly-detector.js';
export type { ArgumentFlow, CallAnalysis } from './session/analyze-call.js';
export { analyzeCall } from './session/analyze-call.js';
export type {
  Confidentiality,
  GraphNode,
  Integrity,
  NodeKind,
  SessionLimits,
  TextAnalyzer,
} from './session/session-graph.js';
export {
  DEFAULT_SESSION_LIMITS,
  joinConfidentiality,
  joinIntegrity,
  SessionGraph,
} from './session/session-graph.js';
export type { AnalysisCacheLimits, AnalysisCacheStats } from './text/analysis-cache.js';
export { AnalysisCache, DEFAULT_ANALYSIS_CACHE_LIMITS } from './text/analysis-cache.js';
export type { ExtractedValue, ValueKind } from './text/extract-values.js';
export { extractValues } from './text/extract-values.js';
export { fastHash53, fastHash128Hex } from './text/fast-hash.js';
export type { SecretMatch } from './text/find-secrets.js';
export { findSecrets } from './text/find-secrets.js';
export type { InjectionAssessment, InjectionLevel, InjectionSignal } from './text/injection-scorer.js';
export { scoreInjection } from './text/injection-scorer.js';
export { invisibleCharacters, normalizeText } from './text/normalize-text.js';
export type { TextAnalysis, TrustClass } from './text/text-analysis.js';
export { analyzeText } from './text/text-analysis.js';
export type { ActionClass, UserIntent } from './text/user-intent.js';
export { analyzeIntent } from './text/user-intent.js';
export type { ToolProfile, ToolProfileOverride } from './tool-profile.js';
export { applyProfileOverride, inferToolProfile, nameWords } from './tool-profile.js';
export type { HiddenTextHit } from './tools/hidden-text.js';
export { findHiddenText } from './tools/hidden-text.js';
export { foldName, nameSkeleton } from './tools/name-skeleton.js';
export type { ToolFinding, ToolFindingCategory, ToolScanRule } from './tools/tool-finding.js';
export { ATTACK_CATEGORIES, TOOL_SCAN_RULES, toolScanRule } from './tools/tool-finding.js';
export type { ListedServer, ServerIdentity, ToolLock, ToolLockParseResult } from './tools/tool-lock.js';
export {
  compareToolLock,
  createToolLock,
  loadToolLock,
  parseToolLock,
  pinnedHash,
  ServerIdentitySchema,
  ToolLockSchema,
} from './tools/tool-lock.js';
export type { FlaggedCallPolicy, ToolPoisoningOptions } from './tools/tool-poisoning-detector.js';
export { ToolPoisoningDetector } from './tools/tool-poisoning-detector.js';
export type { ToolRugPullOptions } from './tools/tool-rug-pull-detector.js';
export { ToolRugPullDetector } from './tools/tool-rug-pull-detector.js';
export type {
  McpSurfaceItem,
  ToolScanOptions,
  ToolScanResult,
  ToolScanVerdict,
} from './tools/tool-scanner.js';
export { scanToolDefinitions } from './tools/tool-scanner.js';
export type { ToolShadowingOptions } from './tools/tool-shadowing-detector.js';
export { ToolShadowingDetector } from './tools/tool-shadowing-detector.js';
