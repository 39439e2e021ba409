/**
 * `@bulwark/detectors/eval`: replaying recorded agent runs through the engine and scoring them
 * (AgentDojo format), used by `bulwark eval agentdojo`, the benchmarks and the detectors' own replay tests.
 * Kept off the main entry: an agent host or the collector never needs it.
 *
 * @example
 * import { evaluateAgentDojo } from '@bulwark/detectors/eval';
 * const result = evaluateAgentDojo(runs, {});
 */
export type { AgentDojoEvalOptions, AgentDojoEvalResult } from './agentdojo-evaluator.js';
export { evaluateAgentDojo } from './agentdojo-evaluator.js';
export type { AgentDojoConversation, AgentDojoLabels, ReplayStep } from './agentdojo-replay.js';
export { AgentDojoConversationSchema, stripAnswerKey, toReplaySteps } from './agentdojo-replay.js';
export type { AgentDojoScore, RunOutcome } from './agentdojo-score.js';
export { isBlocking, percentile, scoreAgentDojo } from './agentdojo-score.js';
export type { PipelineVariant } from './pipeline-variants.js';
export { applyPipelineVariant, PIPELINE_VARIANTS } from './pipeline-variants.js';
