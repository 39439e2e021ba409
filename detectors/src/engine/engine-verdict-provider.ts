import { performance } from 'node:perf_hooks';
import type { Verdict, VerdictProvider, VerdictRequest } from '@bulwark/contracts';
import { DetectionEngine, type DetectionEngineOptions } from './detection-engine.js';

/**
 * The in-process `VerdictProvider` for the agent SDK: the detectors engine in the agent's own process,
 * no network hop.
 *
 * @example
 * import { EngineVerdictProvider } from '@bulwark/detectors';
 * const client = instrumentMcpClient(mcpClient, { verdictProvider: new EngineVerdictProvider() });
 */
export class EngineVerdictProvider implements VerdictProvider {
  readonly engine: DetectionEngine;

  constructor(engineOrOptions: DetectionEngine | DetectionEngineOptions = {}) {
    this.engine =
      engineOrOptions instanceof DetectionEngine
        ? engineOrOptions
        : new DetectionEngine({ monotonicMicros: () => performance.now() * 1000, ...engineOrOptions });
  }

  async decide(request: VerdictRequest): Promise<Verdict> {
    return this.engine.decide(request).verdict;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
