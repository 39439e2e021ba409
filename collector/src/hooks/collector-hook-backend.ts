import { stampReceivedTimes } from '@bulwark/contracts';
import type { Logger } from 'pino';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { TraceIngest } from '../otlp/trace-ingest.js';
import type { TenantWorkQueue } from '../tenant-work-queue.js';
import type { VerdictService } from '../verdict-service.js';
import type { HookBackend, HookRefusal } from './hook-route.js';

export interface CollectorHookBackendDeps {
  verdicts: VerdictService;
  /** The verdict route's per-tenant queue: hook verdicts wait in the same lanes. */
  queue: TenantWorkQueue;
  ingest: TraceIngest;
  metrics: CollectorMetrics;
  logger: Logger;
}

/**
 * The collector's {@link HookBackend}: decisions go through the verdict route's tenant queue and the
 * `VerdictService` (published to the bus like any verdict), records through the same ingest as spans
 * (published, then applied to the session's owner).
 */
export function createCollectorHookBackend(deps: CollectorHookBackendDeps): HookBackend {
  const { verdicts, queue, ingest, metrics, logger } = deps;
  return {
    async decide(request) {
      const admitted = queue.admit(request.tenantId ?? 'default');
      if (!admitted.ok)
        return {
          ok: false,
          status: admitted.reason === 'tenant_busy' ? 429 : 503,
          code: admitted.reason,
          message: admitted.message,
          retryAfterMillis: admitted.retryAfterMillis,
        };
      const turn = await admitted.ticket.run(
        async (): Promise<Awaited<ReturnType<HookBackend['decide']>>> => {
          try {
            const out = await verdicts.decide(request);
            if (out.ok) return out;
            return {
              ok: false,
              status: out.refused.reason === 'backpressure' ? 429 : 503,
              code: `bus_${out.refused.reason}`,
              message: `the event bus refused the verdict record (${out.refused.message}); retry later`,
              retryAfterMillis: out.refused.retryAfterMillis,
            };
          } catch (err) {
            logger.error({ err, sessionId: request.sessionId }, 'engine failed to decide a hook call');
            return {
              ok: false,
              status: 500,
              code: 'engine_error',
              message: 'the detection engine failed on this call',
            };
          }
        },
      );
      if (!turn.ok)
        return {
          ok: false,
          status: 503,
          code: turn.reason,
          message: turn.message,
          retryAfterMillis: turn.retryAfterMillis,
        } satisfies HookRefusal;
      if (turn.value.ok) metrics.verdicts.inc({ decision: turn.value.verdict.decision, source: 'hook' });
      return turn.value;
    },

    async record(events, forwardHeaders = {}) {
      const skewed = stampReceivedTimes(events, Date.now());
      const out = await ingest.commit(
        { events, rejected: 0, errors: [], nonAgentSpans: 0, clockSkewed: skewed },
        forwardHeaders,
      );
      if (out.ok) return { ok: true };
      return {
        ok: false,
        status: out.refused.reason === 'backpressure' ? 429 : 503,
        code: `bus_${out.refused.reason}`,
        message: `the result could not be recorded (${out.refused.message}); retry later`,
        retryAfterMillis: out.refused.retryAfterMillis,
      };
    },
  };
}
