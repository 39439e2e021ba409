import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { request } from 'undici';
import type { CollectorMetrics } from '../collector-metrics.js';

const MAX_IN_FLIGHT = 16;
const TIMEOUT_MILLIS = 10_000;

/**
 * Forwards export requests that carried non-agent spans, byte for byte (same content type and encoding), to
 * another OTLP/HTTP receiver, so the rest of the trace still reaches the tracing backend. Fire and forget
 * with a bound on requests in flight: beyond it, or on failure, the request is counted, never retried.
 *
 * @example
 * const fwd = new PassthroughForwarder('http://tempo:4318/v1/traces', metrics, logger);
 * fwd.forward(rawBody, req.headers);
 */
export class PassthroughForwarder {
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
  ) {}

  forward(body: Buffer, headers: IncomingHttpHeaders): void {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.metrics.dropped.inc({ reason: 'passthrough_busy' });
      return;
    }
    const h: Record<string, string> = {};
    for (const k of ['content-type', 'content-encoding']) {
      const v = headers[k];
      if (typeof v === 'string') h[k] = v;
    }
    this.inFlight += 1;
    const p = request(this.url, {
      method: 'POST',
      headers: h,
      body,
      headersTimeout: TIMEOUT_MILLIS,
      bodyTimeout: TIMEOUT_MILLIS,
    })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
      })
      .catch((err: unknown) => {
        this.metrics.passthroughErrors.inc();
        this.logger.warn(
          { url: this.url, err: (err as Error).message },
          'passthrough of non-agent spans failed',
        );
      })
      .finally(() => {
        this.inFlight -= 1;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  /** Waits for forwards in flight. */
  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
