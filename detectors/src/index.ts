export type {
  DetectionEngineOptions,
  EngineLimits,
  EngineResult,
  IngestResult,
  Reevaluation,
} from './engine/detection-engine.js';
export {
  aggregate,
  DEFAULT_ENGINE_LIMITS,
  DetectionEngine,
  LATE_EVIDENCE_DETECTOR_ID,
} from './engine/detection-engine.js';
export type { Detector, DetectorContext, DetectorOutcome } from './engine/detector.js';
export { EngineVerdictProvider } from './engine/engine-verdict-provider.js';
export type {
  Policy,
  PolicyInput,
  PolicyOverride,
  PolicyRule,
  PolicySections,
  ResolvedPolicy,
} from './engine/policy.js';
export {
  DEFAULT_POLICY,
  globMatch,
  overridesFor,
  PolicySchema,
  parsePolicy,
  resolvePolicy,
  sectionsFor,
} from './engine/policy.js';
export type { ToolProfile, ToolProfileOverride } from './engine/tool-profile.js';
export { applyProfileOverride, inferToolProfile, nameWords } from './engine/tool-profile.js';
export { DetectorsError, PolicyError, ToolLockError } from './errors.js';
// The AgentDojo replay and scoring are the `@bulwark/detectors/eval` subpath; these two are general.
export { isBlocking, percentile } from './eval/agentdojo-score.js';
export { RiskyArgsDetector } from './rules/args.risky/risky-args-detector.js';
export { ExfilFlowDetector } from './rules/exfil.sensitive-flow/exfil-flow-detector.js';
export { InjectionChainDetector } from './rules/injection.chain/injection-chain-detector.js';
export { PolicyRuleDetector } from './rules/policy.rule/policy-rule-detector.js';
export type {
  SequenceAnomalyOptions,
  SequenceModelJson,
} from './rules/sequence.anomaly/sequence-anomaly-detector.js';
export { SequenceAnomalyDetector } from './rules/sequence.anomaly/sequence-anomaly-detector.js';
export type {
  FlaggedCallPolicy,
  ToolPoisoningOptions,
} from './rules/tools.poisoning/tool-poisoning-detector.js';
export { ToolPoisoningDetector } from './rules/tools.poisoning/tool-poisoning-detector.js';
export type { ToolRugPullOptions } from './rules/tools.rug-pull/tool-rug-pull-detector.js';
export { ToolRugPullDetector } from './rules/tools.rug-pull/tool-rug-pull-detector.js';
export type { ToolShadowingOptions } from './rules/tools.shadowing/tool-shadowing-detector.js';
export { ToolShadowingDetector } from './rules/tools.shadowing/tool-shadowing-detector.js';
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
export type {
  McpSurfaceItem,
  ToolScanOptions,
  ToolScanResult,
  ToolScanVerdict,
} from './tools/tool-scanner.js';
export { scanToolDefinitions } from './tools/tool-scanner.js';
