import type { AgentEvent } from '@bulwark/contracts';
import { SEVERITY_RANK } from '@bulwark/contracts';
import { DetectionEngine, type DetectionEngineOptions } from '../detection-engine.js';
import { type AgentDojoConversation, type AgentDojoLabels, toReplaySteps } from './agentdojo-replay.js';
import { type AgentDojoScore, type RunOutcome, scoreAgentDojo } from './agentdojo-score.js';

export interface AgentDojoEvalOptions {
  engine?: DetectionEngineOptions;
  /** Monotonic clock in microseconds for latency (passed in: the engine itself reads no clock). */
  monotonicMicros: () => number;
  onProgress?: (done: number, total: number) => void;
}

export interface AgentDojoEvalResult {
  score: AgentDojoScore;
  outcomes: RunOutcome[];
}

/**
 * Replays runs in order through one engine with its default configuration: every tool call asks for a
 * verdict before it executes, carrying the events observed since the previous call (as the agent SDK does),
 * so latency includes applying them.
 */
export function evaluateAgentDojo(
  runs: ReadonlyArray<{ conversation: AgentDojoConversation; labels: AgentDojoLabels }>,
  options: AgentDojoEvalOptions,
): AgentDojoEvalResult {
  const engine = new DetectionEngine({ ...options.engine, monotonicMicros: options.monotonicMicros });
  const outcomes: RunOutcome[] = [];
  const latencies: number[] = [];
  runs.forEach((run, i) => {
    const steps = toReplaySteps(run.conversation, { sessionId: `run-${i}`, startMillis: i * 10_000_000 });
    const outcome: RunOutcome = { labels: run.labels, calls: [], highAlert: false, injectionAlert: false };
    let pending: AgentEvent[] = [];
    for (const step of steps) {
      if (step.type === 'event') {
        pending.push(step.event);
        continue;
      }
      const { verdict, findings } = engine.decide({ ...step.request, events: pending });
      pending = [];
      latencies.push(verdict.decisionTimeMicros);
      outcome.calls.push({ message: step.message, call: step.call, decision: verdict.decision });
      for (const f of findings) {
        if (SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high) outcome.highAlert = true;
        if (f.detectorId.startsWith('injection.')) outcome.injectionAlert = true;
      }
    }
    // Trailing events (the final answer) still feed alerts.
    for (const ev of pending) {
      for (const f of engine.ingest(ev).findings) {
        if (SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high) outcome.highAlert = true;
        if (f.detectorId.startsWith('injection.')) outcome.injectionAlert = true;
      }
    }
    outcomes.push(outcome);
    options.onProgress?.(i + 1, runs.length);
  });
  return { score: scoreAgentDojo(outcomes, latencies), outcomes };
}
