import { stampReceivedTimes, type VerdictRequest } from '@bulwark/contracts';
import type { Logger } from 'pino';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { TraceIngest } from '../otlp/trace-ingest.js';
import type { Refusal, TenantWorkQueue, WorkTicket } from '../tenant-work-queue.js';
import type { DecideOutcome, VerdictService } from '../verdict-service.js';
import type { HookBackend, HookRefusal } from './hook-route.js';

export interface CollectorHookBackendDeps {
  verdicts: VerdictService;
  /** The verdict route's per-tenant queue: hook verdicts wait in the same lanes. */
  queue: TenantWorkQueue;
  ingest: TraceIngest;
  metrics: CollectorMetrics;
  logger: Logger;
}

type HookDecision = Awaited<ReturnType<HookBackend['decide']>>;

/** A bus refusal of the verdict's records, as a hook refusal (429 backpressure, else 503). */
function refusedRecord(out: Extract<DecideOutcome, { ok: false }>): HookRefusal {
  return {
    ok: false,
    status: out.refused.reason === 'backpressure' ? 429 : 503,
    code: `bus_${out.refused.reason}`,
    message: `the event bus refused the verdict record (${out.refused.message}); retry later`,
    retryAfterMillis: out.refused.retryAfterMillis,
  };
}

/**
 * Decides in the tenant's turn; as on the verdict route, the wait for the bus to accept the records comes
 * after the turn, and the place stays taken until the answer.
 */
async function decideInTurn(
  verdicts: VerdictService,
  logger: Logger,
  ticket: WorkTicket,
  request: VerdictRequest,
): Promise<{ ok: true; value: HookDecision } | ({ ok: false } & Refusal)> {
  try {
    const decided = await ticket.run(
      async () => {
        try {
          return { recorded: (await verdicts.decideThenRecord(request)).recorded };
        } catch (err) {
          logger.error({ err, sessionId: request.sessionId }, 'engine failed to decide a hook call');
          return undefined;
        }
      },
      { keepPlace: true },
    );
    if (!decided.ok) return decided;
    if (!decided.value) {
      const message = 'the detection engine failed on this call';
      return { ok: true, value: { ok: false, status: 500, code: 'engine_error', message } };
    }
    const out = await decided.value.recorded;
    return { ok: true, value: out.ok ? out : refusedRecord(out) };
  } finally {
    ticket.release();
  }
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
      const turn = await decideInTurn(verdicts, logger, admitted.ticket, request);
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
