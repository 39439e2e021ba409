import type { EventBus } from '@bulwark/contracts';
import type { DetectionEngine } from '@bulwark/detectors';
import type { EventStore } from '@bulwark/stream';
import type { Logger } from 'pino';
import { PeerClient } from './affinity/peer-client.js';
import { SessionRouter } from './affinity/session-router.js';
import { ApprovalDesk } from './approval-desk.js';
import type { Authenticator } from './authenticator.js';
import type { CollectorMetrics } from './collector-metrics.js';
import type { CollectorConfig } from './config.js';
import { configAuthenticator } from './config-authenticator.js';
import { createCollectorHookBackend } from './hooks/collector-hook-backend.js';
import { HookRoute } from './hooks/hook-route.js';
import { analystEntry } from './http/analyst-entry.js';
import { AnalystRoutes } from './http/analyst-routes.js';
import { approvalRoutes } from './http/approval-routes.js';
import { collectorRoutes } from './http/collector-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { hookEntry } from './http/hook-entry.js';
import { internalEventsRoute } from './http/internal-events-route.js';
import { tracesRoute } from './http/traces-route.js';
import { verdictRoute } from './http/verdict-route.js';
import { IpFilter } from './ip-filter.js';
import { GuardrailExporter, type GuardrailExporterConfig } from './otlp/guardrail-exporter.js';
import { PassthroughForwarder } from './otlp/passthrough-forwarder.js';
import { TraceIngest } from './otlp/trace-ingest.js';
import { TenantWorkQueue } from './tenant-work-queue.js';
import { VerdictService } from './verdict-service.js';

/** What the collector's services are built from. */
export interface CollectorServicesDeps {
  config: CollectorConfig;
  /** The agents' authenticator ({@link agentAuthenticator}). */
  auth: Authenticator;
  /** Off when undefined: otherwise every verdict the bus accepts becomes a guardrail span. */
  guardrail: GuardrailExporterConfig | undefined;
  bus: EventBus;
  engine: DetectionEngine;
  logger: Logger;
  metrics: CollectorMetrics;
  /** The store the analyst view reads. */
  store: EventStore | undefined;
  workerReady?: () => boolean;
  isClosing: () => boolean;
  openConnections: () => number;
}

/** The agents' authenticator: API keys, or JWTs verified against the JWKS. */
export function agentAuthenticator(config: CollectorConfig): Authenticator {
  return configAuthenticator(config, config.apiKeys);
}

function buildCore(deps: CollectorServicesDeps) {
  const { config, logger, metrics, bus } = deps;
  const guardrails = deps.guardrail
    ? new GuardrailExporter(deps.guardrail, logger.child({ component: 'guardrail-exporter' }))
    : undefined;
  const verdicts = new VerdictService(
    deps.engine,
    guardrails ? guardrails.watch(bus) : bus,
    metrics,
    logger.child({ component: 'verdicts' }),
    { sliceMillis: config.ingestSliceMillis, maxPendingEvents: config.maxPendingEvents },
  );
  const queue = new TenantWorkQueue({
    maxPerTenant: config.maxQueuedVerdictsPerTenant,
    maxTotal: config.maxInFlightVerdicts,
    queueTimeoutMillis: config.verdictQueueTimeoutMillis,
  });
  const router = new SessionRouter(config.peers, config.selfUrl, config.peerDownMillis);
  const peers = router.active ? new PeerClient(config.selfUrl!, config.peerTimeoutMillis) : undefined;
  const ingest = new TraceIngest(
    { defaultTenantId: config.tenantId, sliceMillis: config.ingestSliceMillis },
    bus,
    verdicts,
    router,
    peers,
    metrics,
    logger.child({ component: 'ingest' }),
  );
  const passthrough =
    config.nonAgentSpans === 'passthrough' && config.passthroughUrl
      ? new PassthroughForwarder(config.passthroughUrl, metrics, logger.child({ component: 'passthrough' }))
      : undefined;
  return { guardrails, verdicts, queue, router, peers, ingest, passthrough };
}

/**
 * Builds the collector's services (verdicts, ingest, queue, affinity, approvals) and the request handler
 * over them. No socket: the caller serves `handle` with {@link createCollectorServer}.
 *
 * @example
 * const services = buildCollectorServices(deps);
 * const reply = await services.handle(bufferedRequest({ method: 'GET', url: '/healthz' }), { overLimit: false });
 */
export function buildCollectorServices(deps: CollectorServicesDeps) {
  const { config, logger, metrics } = deps;
  const { auth } = deps;
  const core = buildCore(deps);
  const { verdicts, queue, ingest } = core;
  const base = { config, metrics, auth, log: logger.child({ component: 'collector' }) };
  const hooks = new HookRoute({
    backend: createCollectorHookBackend({
      verdicts,
      queue,
      ingest,
      metrics,
      logger: logger.child({ component: 'hooks' }),
    }),
    maxJsonDepth: config.maxJsonDepth,
    onUndecided: config.hookOnVerdictUnavailable,
  });
  const approvals = new ApprovalDesk();
  const approval = approvalRoutes({ ...base, desk: approvals, isClosing: deps.isClosing });
  const health = healthRoutes({
    bus: deps.bus,
    metrics,
    ...(deps.workerReady ? { workerReady: deps.workerReady } : {}),
    isClosing: deps.isClosing,
    verdictsInFlight: () => queue.size,
    openConnections: deps.openConnections,
  });
  const handle = collectorRoutes({
    metrics,
    ipFilter: new IpFilter(config.ipAllow, config.ipDeny),
    maxConnections: config.maxConnections,
    handlers: {
      ...health,
      traces: tracesRoute({
        ...base,
        ingest,
        ...(core.passthrough ? { passthrough: core.passthrough } : {}),
      }),
      verdicts: verdictRoute({
        ...base,
        verdicts,
        queue,
        router: core.router,
        ...(core.peers ? { peers: core.peers } : {}),
      }),
      internal_events: internalEventsRoute({
        ...base,
        verdicts,
        ...(core.peers ? { peers: core.peers } : {}),
      }),
      approvals: approval.answer,
      approvals_wait: approval.wait,
      analyst: analystEntry({ ...base, analyst: new AnalystRoutes({ store: deps.store }) }),
      hooks: hookEntry({ ...base, hooks }),
    },
  });
  return { ...core, approvals, handle };
}

export type CollectorServices = ReturnType<typeof buildCollectorServices>;
