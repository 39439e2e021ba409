import type { Finding } from '@bulwark/contracts';
import { SEVERITY_RANK } from '@bulwark/contracts';
import { DetectionEngine, type DetectionEngineOptions } from '../engine/detection-engine.js';
import { type AgentDojoConversation, type AgentDojoLabels, toReplaySteps } from './agentdojo-replay.js';
import { type AgentDojoScore, percentile, type RunOutcome, scoreAgentDojo } from './agentdojo-score.js';

export interface AgentDojoEvalOptions {
  engine?: DetectionEngineOptions;
  /** Monotonic clock in microseconds for latency (passed in: the engine itself reads no clock). */
  monotonicMicros: () => number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Replay every run once on a throwaway engine first, so latency is measured with the JIT warm, as in a
   * collector that has been running; the cold pass is reported too. Scores come from the measured pass only
   * (its engine starts empty: nothing learned in the warm-up carries over). Default true.
   */
  warmup?: boolean;
}

export interface AgentDojoEvalResult {
  score: AgentDojoScore;
  outcomes: RunOutcome[];
  /** Time to ingest one event (reported beside the verdict latency, not part of it). */
  ingestLatencyMicros: { p50: number; p99: number };
  /** Verdict latency of the warm-up pass (cold JIT), when it ran. */
  coldVerdictLatencyMicros?: { p50: number; p99: number };
}

/**
 * Replays runs in order through one engine with its default configuration: events are ingested as they are
 * observed (prompts, completions, tool results), and every tool call asks for a verdict before it executes,
 * seeing only what came before it. Verdict latency is the time of `decide` alone; ingest latency (scanning a
 * tool result when it arrives, while the model is still thinking) is reported separately.
 */
export function evaluateAgentDojo(
  runs: ReadonlyArray<{ conversation: AgentDojoConversation; labels: AgentDojoLabels }>,
  options: AgentDojoEvalOptions,
): AgentDojoEvalResult {
  const replay = (onProgress?: (done: number, total: number) => void) => {
    const engine = new DetectionEngine({ ...options.engine, monotonicMicros: options.monotonicMicros });
    const outcomes: RunOutcome[] = [];
    const latencies: number[] = [];
    const ingestLatencies: number[] = [];
    runs.forEach((run, i) => {
      const steps = toReplaySteps(run.conversation, { sessionId: `run-${i}`, startMillis: i * 10_000_000 });
      const outcome: RunOutcome = { labels: run.labels, calls: [], highAlert: false, injectionAlert: false };
      const note = (findings: readonly Finding[]) => {
        for (const f of findings) {
          if (SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high) outcome.highAlert = true;
          if (f.detectorId.startsWith('injection.')) outcome.injectionAlert = true;
        }
      };
      for (const step of steps) {
        if (step.type === 'event') {
          const t0 = options.monotonicMicros();
          note(engine.ingest(step.event).findings);
          ingestLatencies.push(options.monotonicMicros() - t0);
          continue;
        }
        const { verdict, findings } = engine.decide(step.request);
        latencies.push(verdict.decisionTimeMicros);
        outcome.calls.push({ message: step.message, call: step.call, decision: verdict.decision });
        note(findings);
      }
      outcomes.push(outcome);
      onProgress?.(i + 1, runs.length);
    });
    return { outcomes, latencies, ingestLatencies };
  };
  const cold = options.warmup === false ? undefined : replay();
  const { outcomes, latencies, ingestLatencies } = replay(options.onProgress);
  return {
    score: scoreAgentDojo(outcomes, latencies),
    outcomes,
    ingestLatencyMicros: { p50: percentile(ingestLatencies, 50), p99: percentile(ingestLatencies, 99) },
    ...(cold
      ? {
          coldVerdictLatencyMicros: {
            p50: percentile(cold.latencies, 50),
            p99: percentile(cold.latencies, 99),
          },
        }
      : {}),
  };
}
