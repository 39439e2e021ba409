import type { EventBus } from '@bulwark/contracts';
import type { CollectorMetrics } from '../collector-metrics.js';
import { type CollectorReply, Reply } from './collector-reply.js';

export interface HealthRoutesDeps {
  bus: EventBus;
  metrics: CollectorMetrics;
  /** The stream worker's readiness (its store); absent: ready. */
  workerReady?: () => boolean;
  isClosing: () => boolean;
  /** Gauges read at scrape time. */
  verdictsInFlight: () => number;
  openConnections: () => number;
}

type Handler = () => Promise<CollectorReply>;

/**
 * `GET /healthz` (the process answers), `GET /readyz` (bus and store ready, not shutting down) and
 * `GET /metrics` (Prometheus text).
 *
 * @example
 * const { readyz } = healthRoutes(deps);
 * (await readyz()).status; // 200 or 503
 */
export function healthRoutes(deps: HealthRoutesDeps): {
  healthz: Handler;
  readyz: Handler;
  metrics: Handler;
} {
  const { bus, metrics } = deps;
  return {
    healthz: async () => Reply.json(200, { status: 'ok' }),
    readyz: async () => {
      const closing = deps.isClosing();
      const busReady = bus.isReady();
      const workerReady = deps.workerReady?.() ?? true;
      if (!closing && busReady && workerReady) return Reply.json(200, { status: 'ready' });
      const reason = closing ? 'shutting down' : !busReady ? 'event bus not ready' : 'event store not ready';
      return Reply.json(503, { status: 'not_ready', reason });
    },
    metrics: async () => {
      metrics.busReady.set(bus.isReady() ? 1 : 0);
      metrics.verdictsInFlight.set(deps.verdictsInFlight());
      metrics.openConnections.set(deps.openConnections());
      const text = await metrics.registry.metrics();
      return { status: 200, headers: { 'content-type': metrics.registry.contentType }, body: text };
    },
  };
}
