import type { Verdict, VerdictRequest } from './verdict.js';

/**
 * Decides on a tool call before it runs. Implementations: the detectors engine in process, or a remote
 * client of the collector's `POST /v1/verdicts`.
 *
 * `decide` never rejects for expected failures: a provider that cannot reach its backend answers with a
 * `source: 'fallback'` verdict shaped by its configuration. Lifecycle follows OpenTelemetry's SpanExporter.
 *
 * @example
 * const verdict = await provider.decide({ sessionId: 's1', toolCall: { toolCallId: 'c1', toolName: 'send', arguments: {} }, events: [] });
 */
export interface VerdictProvider {
  decide(request: VerdictRequest): Promise<Verdict>;
  /** Flushes anything buffered (e.g. pending observations). */
  forceFlush(): Promise<void>;
  /** Releases resources; later `decide` calls answer with the fallback. */
  shutdown(): Promise<void>;
}
