import type { Verdict, VerdictProvider, VerdictRequest } from '@bulwark/contracts';

/** One verdict as the agent received it. */
export interface RecordedVerdict {
  agent: string;
  request: VerdictRequest;
  verdict: Verdict;
  /** Round trip as the agent saw it (HTTP included), milliseconds. */
  roundTripMillis: number;
}

/**
 * A `VerdictProvider` decorator that hands every verdict to `onVerdict` as it arrives (the demo prints them)
 * and keeps them, so a scenario can look up the verdict of each of its tool calls.
 *
 * @example
 * const provider = new RecordingVerdictProvider('assistant', new RemoteVerdictProvider({ url }), print);
 * new AgentSession({ verdictProvider: provider });
 */
export class RecordingVerdictProvider implements VerdictProvider {
  readonly verdicts: RecordedVerdict[] = [];

  constructor(
    private readonly agent: string,
    private readonly inner: VerdictProvider,
    private readonly onVerdict: (v: RecordedVerdict) => void = () => {},
  ) {}

  async decide(request: VerdictRequest): Promise<Verdict> {
    const started = performance.now();
    const verdict = await this.inner.decide(request);
    const recorded = { agent: this.agent, request, verdict, roundTripMillis: performance.now() - started };
    this.verdicts.push(recorded);
    this.onVerdict(recorded);
    return verdict;
  }

  /** The verdict given for a tool call id, if one was asked. */
  verdictFor(toolCallId: string): Verdict | undefined {
    return this.verdicts.find((v) => v.request.toolCall.toolCallId === toolCallId)?.verdict;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
