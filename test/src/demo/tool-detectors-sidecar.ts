import type { Verdict, VerdictRequest } from '@bulwark/contracts';
import {
  DetectionEngine,
  ToolPoisoningDetector,
  ToolRugPullDetector,
  ToolShadowingDetector,
} from '@bulwark/detectors';

/** Ids of the tool-definition detectors. */
export const TOOL_DETECTOR_IDS = ['tools.poisoning', 'tools.shadowing', 'tools.rug-pull'] as const;

/**
 * The tool-definition detectors (`tools.poisoning`, `tools.shadowing`, `tools.rug-pull`, default options) run
 * beside the collector on a copy of every verdict request, for when the collector's engine does not include
 * them: their findings are shown as alerts, they never decide the call.
 *
 * @example
 * const sidecar = new ToolDetectorsSidecar();
 * const alert = sidecar.observe(request); // a verdict with tools.* reasons, or undefined
 */
export class ToolDetectorsSidecar {
  private readonly engine = new DetectionEngine({
    detectors: [new ToolPoisoningDetector(), new ToolShadowingDetector(), new ToolRugPullDetector()],
  });
  private readonly verdicts = new Map<string, Verdict>();

  /** Applies the request's events and evaluates its call; returns the verdict when a tool detector spoke. */
  observe(request: VerdictRequest): Verdict | undefined {
    const { verdict } = this.engine.decide(structuredClone(request));
    if (verdict.reasons.length === 0) return undefined;
    this.verdicts.set(request.toolCall.toolCallId, verdict);
    return verdict;
  }

  /** What the tool detectors said about a call, if anything. */
  verdictFor(toolCallId: string): Verdict | undefined {
    return this.verdicts.get(toolCallId);
  }
}
