import type { Verdict, VerdictProvider, VerdictRequest } from '@bulwark/contracts';

/**
 * Wraps a `VerdictProvider` and writes one diagnostic line for every decision other than `allow` (hosts show
 * a server's stderr in their logs, so a user sees why a call was refused). The verdict itself is unchanged.
 *
 * @example
 * const provider = new LoggedVerdictProvider(new EngineVerdictProvider(), (l) => process.stderr.write(`${l}\n`));
 */
export class LoggedVerdictProvider implements VerdictProvider {
  constructor(
    private readonly inner: VerdictProvider,
    private readonly log: (line: string) => void,
  ) {}

  async decide(request: VerdictRequest): Promise<Verdict> {
    const verdict = await this.inner.decide(request);
    if (verdict.decision !== 'allow') {
      const reasons = verdict.reasons
        .filter((r) => r.decision === verdict.decision)
        .map((r) => `${r.detectorId}: ${r.message}`);
      const server = request.toolCall.server ? ` on ${request.toolCall.server}` : '';
      const source = verdict.source === 'fallback' ? ' (verdict unavailable)' : '';
      this.log(
        `bulwark proxy: ${verdict.decision}${source} tools/call "${verdict.toolName}"${server}${reasons.length > 0 ? ` — ${reasons.join('; ')}` : ''}`,
      );
    }
    return verdict;
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
