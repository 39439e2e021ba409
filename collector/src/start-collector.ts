import { performance } from 'node:perf_hooks';
import type { EventBus } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { type EventStore, InProcessEventBus, type StreamMetrics } from '@bulwark/stream';
import type { Logger } from 'pino';
import { createCollectorBus } from './collector-bus.js';
import { CollectorMetrics } from './collector-metrics.js';
import { agentAuthenticator, buildCollectorServices, type CollectorServices } from './collector-services.js';
import {
  type CollectorConfig,
  type CollectorConfigInput,
  isLoopbackHost,
  resolveCollectorConfig,
} from './config.js';
import { type CollectorServer, createCollectorServer } from './http/collector-server.js';
import { type GuardrailExporterConfig, guardrailExporterConfigFromEnv } from './otlp/guardrail-exporter.js';
import { createServiceLogger } from './service-logger.js';

/** A component started with the collector's bus and stopped before the bus is flushed (e.g. the storage worker). */
export interface CollectorWorker {
  shutdown(): Promise<void>;
  /** False while the worker cannot store (its store is failing); `/readyz` answers 503 then. */
  isReady?(): boolean;
  /** Counters of the stream side, exported on `/metrics` as `bulwark_<name>`. */
  streamMetrics?: StreamMetrics;
  /** The store the worker writes: the analyst view (`GET /`, `/api/report`, `/api/hunt`) reads it. */
  store?: EventStore;
}

export interface StartCollectorOptions extends Partial<CollectorConfigInput> {
  /**
   * The resolved config (options > env > defaults, validated once by the caller, e.g. `loadServiceConfig`).
   * When set, the config keys above and `env` are ignored and no environment is read.
   */
  config?: CollectorConfig;
  /** With `config`: the guardrail span exporter's settings, or none (off). Without `config` it comes from `env`. */
  guardrail?: GuardrailExporterConfig | undefined;
  /** Environment to read `BULWARK_*` from when `config` is not given. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Use this bus instead of building one from the config (`bus`, see `createCollectorBus`). The collector
   * does not shut it down unless `closeEventBus` is true.
   */
  eventBus?: EventBus;
  /** Shut `eventBus` down on close, as a bus the collector built (the composition root handed it over). */
  closeEventBus?: boolean;
  /** The detectors engine holding session state. Default: `new DetectionEngine()` with its built-in detectors. */
  engine?: DetectionEngine;
  /** Root logger. Default: pino at `logLevel`, secrets and prompt text redacted. */
  logger?: Logger;
  /**
   * Starts the stream side (`StorageWorker.start` in `bulwark serve`): called once with the bus after it is
   * created and before the server listens; its `shutdown()` runs on close, after the server stopped accepting
   * and before the bus is flushed.
   */
  startWorker?: (bus: EventBus) => Promise<CollectorWorker>;
}

/** A running collector. */
export interface RunningCollector {
  /** Base URL, e.g. `http://127.0.0.1:4318`. */
  url: string;
  port: number;
  config: CollectorConfig;
  bus: EventBus;
  metrics: CollectorMetrics;
  logger: Logger;
  /** Stops accepting, lets requests in flight finish (bounded), stops the worker, flushes and closes the bus. */
  close(): Promise<void>;
}

const NOT_CONFIG_KEYS = new Set([
  'config',
  'guardrail',
  'env',
  'eventBus',
  'closeEventBus',
  'engine',
  'logger',
  'startWorker',
]);

/** The config and guardrail settings: given resolved, or resolved here once from options and env. */
function resolveConfig(options: StartCollectorOptions): {
  config: CollectorConfig;
  guardrail: GuardrailExporterConfig | undefined;
} {
  if (options.config) return { config: options.config, guardrail: options.guardrail };
  const env = options.env ?? process.env;
  const configOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!NOT_CONFIG_KEYS.has(k)) configOptions[k] = v;
  const config = resolveCollectorConfig(configOptions, env);
  // Off unless BULWARK_GUARDRAIL_OTLP_URL is set: every verdict the bus accepts becomes a guardrail span.
  return { config, guardrail: options.guardrail ?? guardrailExporterConfigFromEnv(env) };
}

function warnIfOpen(log: Logger, config: CollectorConfig, authEnabled: boolean): void {
  if (authEnabled) return;
  if (isLoopbackHost(config.host))
    log.warn(
      { host: config.host },
      'authentication is OFF because the collector is bound to loopback only; set BULWARK_API_KEYS or BULWARK_JWKS_FILE to require credentials',
    );
  else
    log.error(
      { host: config.host },
      'authentication is OFF on a non-loopback address (BULWARK_ALLOW_UNAUTHENTICATED=true): anyone who can reach it can write events',
    );
}

/** The bus (given or built) and the started worker; a failing worker start shuts an owned bus down. */
async function startBusAndWorker(options: StartCollectorOptions, config: CollectorConfig, logger: Logger) {
  const ownsBus = options.eventBus === undefined || options.closeEventBus === true;
  const bus = options.eventBus ?? (await createCollectorBus(config, logger));
  try {
    const worker = options.startWorker ? await options.startWorker(bus) : undefined;
    return { bus, ownsBus, worker };
  } catch (err) {
    if (ownsBus) await bus.shutdown().catch(() => {});
    throw err;
  }
}

function watchStats(
  metrics: CollectorMetrics,
  bus: EventBus,
  engine: DetectionEngine,
  worker?: CollectorWorker,
) {
  if (bus instanceof InProcessEventBus)
    metrics.watchBusWal(() => {
      const wal = bus.stats().wal;
      return wal ? { ...wal } : undefined;
    });
  if (worker?.streamMetrics) metrics.addStreamMetrics(worker.streamMetrics);
  metrics.watchAnalysisCache(() => {
    const stats = engine.cacheStats();
    return stats ? { ...stats } : undefined;
  });
}

/** Resolves when `p` does or after `millis`, whichever is first, leaving no timer behind. */
async function withTimeout(p: Promise<unknown>, millis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, millis)))]);
  clearTimeout(timer);
}

interface Running {
  config: CollectorConfig;
  log: Logger;
  server: CollectorServer;
  services: CollectorServices;
  bus: EventBus;
  ownsBus: boolean;
  worker: CollectorWorker | undefined;
}

/** The shutdown order: server, pending session work, exporters, bus flush, worker, bus, peers. */
async function shutdown(r: Running): Promise<void> {
  const { config, log, services, bus, worker } = r;
  const millis = config.shutdownTimeoutMillis;
  services.approvals.close();
  log.info({}, 'collector shutting down: no new connections, finishing requests in flight');
  await r.server.close(millis);
  // Findings of events still waiting to be applied go out before the bus is flushed.
  await withTimeout(services.verdicts.whenIdle(), millis);
  if (services.guardrails) await withTimeout(services.guardrails.shutdown(), millis);
  await services.passthrough?.forceFlush();
  // Everything accepted reaches the worker before it stops (the in-process bus holds records in memory).
  if (worker) await withTimeout(bus.forceFlush(), millis);
  if (worker) await worker.shutdown().catch((err: unknown) => log.error({ err }, 'worker shutdown failed'));
  if (r.ownsBus) await bus.shutdown();
  await services.peers?.close();
  log.info({}, 'collector stopped');
}

/**
 * Starts the Bulwark collector: OTLP/HTTP trace receiver (`POST /v1/traces`), inline verdict API
 * (`POST /v1/verdicts`), `/healthz`, `/readyz`, `/metrics`, over the in-process bus (default) or Kafka.
 * Takes a resolved `config` (and `eventBus`, `engine`) from its composition root, or resolves the config
 * once itself (code options > `BULWARK_*` env > defaults); a bad config throws `CollectorConfigError`
 * listing every issue.
 *
 * @example
 * const collector = await startCollector({ port: 4318 });
 * // ... export spans to `${collector.url}/v1/traces`, ask `${collector.url}/v1/verdicts`
 * await collector.close();
 */
export async function startCollector(options: StartCollectorOptions = {}): Promise<RunningCollector> {
  const { config, guardrail } = resolveConfig(options);
  const logger = options.logger ?? createServiceLogger(config.logLevel);
  const log = logger.child({ component: 'collector' });
  const metrics = new CollectorMetrics();
  const auth = agentAuthenticator(config);
  warnIfOpen(log, config, auth.enabled);
  const { bus, ownsBus, worker } = await startBusAndWorker(options, config, logger);
  const engine = options.engine ?? new DetectionEngine({ monotonicMicros: () => performance.now() * 1000 });
  watchStats(metrics, bus, engine, worker);
  let closing = false;
  let server: CollectorServer | undefined;
  const services = buildCollectorServices({
    config,
    auth,
    guardrail,
    bus,
    engine,
    logger,
    metrics,
    store: worker?.store,
    ...(worker?.isReady ? { workerReady: () => worker.isReady!() } : {}),
    isClosing: () => closing,
    openConnections: () => server?.openConnections() ?? 0,
  });
  server = createCollectorServer(config, metrics, log, services.handle);
  const port = await server.listen().catch(async (err: unknown) => {
    await worker?.shutdown().catch(() => {});
    if (ownsBus) await bus.shutdown().catch(() => {});
    throw err;
  });
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  const busName = options.eventBus && !options.closeEventBus ? 'external' : config.bus;
  log.info({ url, bus: busName, auth: auth.enabled, peers: config.peers.length }, 'collector listening');

  const running: Running = { config, log, server, services, bus, ownsBus, worker };
  let closed: Promise<void> | undefined;
  const close = () => {
    closing = true;
    closed ??= shutdown(running);
    return closed;
  };
  return { url, port, config, bus, metrics, logger, close };
}
