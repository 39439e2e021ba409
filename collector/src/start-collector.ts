import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  ApprovalAnswerSchema,
  ApprovalWaitSchema,
  type EventBus,
  stampReceivedTimes,
  type VerdictRequest,
  VerdictRequestSchema,
} from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import {
  type EventStore,
  InProcessEventBus,
  KafkaEventBus,
  type StreamMetrics,
} from '@bulwark/stream';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ApprovalDesk } from './approval-desk.js';
import { Authenticator, type AuthResult, type Principal } from './authenticator.js';
import { CollectorMetrics } from './collector-metrics.js';
import {
  type CollectorConfig,
  type CollectorConfigInput,
  isLoopbackHost,
  resolveCollectorConfig,
} from './config.js';
import { decodeOtlpTraces } from './decode-otlp-traces.js';
import { CollectorListenError } from './errors.js';
import { GuardrailExporter, guardrailExporterConfigFromEnv } from './guardrail-exporter.js';
import { createCollectorHookBackend } from './hooks/collector-hook-backend.js';
import { HookRoute } from './hooks/hook-route.js';
import { AnalystRoutes } from './http/analyst-routes.js';
import { HttpReply } from './http-reply.js';
import { IpFilter } from './ip-filter.js';
import { parseEventsInSlices } from './parse-events-in-slices.js';
import { PassthroughForwarder } from './passthrough-forwarder.js';
import { FORWARDED_HEADER, PeerClient } from './peer-client.js';
import { discardRest, readBody } from './read-body.js';
import { createServiceLogger } from './service-logger.js';
import { SessionRouter } from './session-router.js';
import { TenantWorkQueue } from './tenant-work-queue.js';
import { TraceIngest } from './trace-ingest.js';
import { checkVerdictLimits, jsonDepthOver } from './verdict-limits.js';
import { VerdictService } from './verdict-service.js';

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
  /** Environment to read `BULWARK_*` from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Use this bus instead of building one from the config (`bus`). The collector does not shut it down. */
  eventBus?: EventBus;
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

const CONFIG_KEYS_EXCLUDED = new Set(['env', 'eventBus', 'engine', 'logger', 'startWorker']);

type Route =
  | 'traces'
  | 'verdicts'
  | 'approvals'
  | 'approvals_wait'
  | 'internal_events'
  | 'healthz'
  | 'readyz'
  | 'metrics'
  | 'analyst'
  | 'hooks'
  | 'other';
const ROUTES: Record<string, { route: Route; method: 'GET' | 'POST' }> = {
  '/v1/traces': { route: 'traces', method: 'POST' },
  '/v1/verdicts': { route: 'verdicts', method: 'POST' },
  '/v1/approvals': { route: 'approvals', method: 'POST' },
  '/v1/approvals/wait': { route: 'approvals_wait', method: 'POST' },
  '/v1/internal/events': { route: 'internal_events', method: 'POST' },
  '/healthz': { route: 'healthz', method: 'GET' },
  '/readyz': { route: 'readyz', method: 'GET' },
  '/metrics': { route: 'metrics', method: 'GET' },
};

const ROUTES_INTERNAL_EVENTS = '/v1/internal/events';

function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');
}

function contentKind(req: IncomingMessage): 'protobuf' | 'json' | undefined {
  const ct = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (ct === 'application/x-protobuf' || ct === 'application/protobuf') return 'protobuf';
  if (ct === 'application/json') return 'json';
  return undefined;
}

/** Resolves when `p` does or after `millis`, whichever is first, leaving no timer behind. */
async function withTimeout(p: Promise<unknown>, millis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, millis)))]);
  clearTimeout(timer);
}

function retryAfterSeconds(millis: number): string {
  return String(Math.max(1, Math.ceil(millis / 1000)));
}

function authHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const a = req.headers.authorization;
  const k = req.headers['x-api-key'];
  return {
    authorization: typeof a === 'string' ? a : undefined,
    'x-api-key': typeof k === 'string' ? k : undefined,
  };
}

/**
 * Starts the Bulwark collector: OTLP/HTTP trace receiver (`POST /v1/traces`), inline verdict API
 * (`POST /v1/verdicts`), `/healthz`, `/readyz`, `/metrics`, over the in-process bus (default) or Kafka.
 * Config is validated once (code options > `BULWARK_*` env > defaults); a bad config throws
 * `CollectorConfigError` listing every issue.
 *
 * @example
 * const collector = await startCollector({ port: 4318 });
 * // ... export spans to `${collector.url}/v1/traces`, ask `${collector.url}/v1/verdicts`
 * await collector.close();
 */
export async function startCollector(options: StartCollectorOptions = {}): Promise<RunningCollector> {
  const configOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!CONFIG_KEYS_EXCLUDED.has(k)) configOptions[k] = v;
  const config = resolveCollectorConfig(configOptions, options.env ?? process.env);
  // Off unless BULWARK_GUARDRAIL_OTLP_URL is set: every verdict the bus accepts becomes a guardrail span.
  const guardrailConfig = guardrailExporterConfigFromEnv(options.env ?? process.env);
  const logger = options.logger ?? createServiceLogger(config.logLevel);
  const log = logger.child({ component: 'collector' });
  const metrics = new CollectorMetrics();

  const auth = new Authenticator({
    apiKeys: config.apiKeys,
    tenantId: config.tenantId,
    jwks: config.jwks as ConstructorParameters<typeof Authenticator>[0]['jwks'],
    jwksFile: config.jwksFile,
    jwtIssuer: config.jwtIssuer,
    jwtAudience: config.jwtAudience,
    jwtTenantClaim: config.jwtTenantClaim,
  });
  const ipFilter = new IpFilter(config.ipAllow, config.ipDeny);
  if (!auth.enabled) {
    if (isLoopbackHost(config.host)) {
      log.warn(
        { host: config.host },
        'authentication is OFF because the collector is bound to loopback only; set BULWARK_API_KEYS or BULWARK_JWKS_FILE to require credentials',
      );
    } else {
      log.error(
        { host: config.host },
        'authentication is OFF on a non-loopback address (BULWARK_ALLOW_UNAUTHENTICATED=true): anyone who can reach it can write events',
      );
    }
  }

  // ---- bus and worker
  let bus: EventBus;
  const ownsBus = options.eventBus === undefined;
  if (options.eventBus) bus = options.eventBus;
  else if (config.bus === 'kafka') {
    const kafka = new KafkaEventBus({
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      topics: {
        events: config.kafkaTopicEvents,
        verdicts: config.kafkaTopicVerdicts,
        findings: config.kafkaTopicFindings,
        alerts: config.kafkaTopicAlerts,
      },
      numPartitions: config.kafkaPartitions,
      replicationFactor: config.kafkaReplicationFactor,
      maxBufferedRecords: config.busMaxBufferedRecords,
      logger: logger.child({ component: 'kafka-bus' }),
    });
    await kafka.start();
    if (!kafka.isReady())
      log.warn(
        { brokers: config.kafkaBrokers },
        'Kafka is not reachable yet: /readyz answers 503 until it is',
      );
    bus = kafka;
  } else {
    const memory = new InProcessEventBus({
      maxBufferedRecords: config.busMaxBufferedRecords,
      logger: logger.child({ component: 'memory-bus' }),
      // With a WAL a span is acknowledged only once on disk; serve defaults it beside the embedded store.
      ...(config.busWalDir && config.busWalDir !== 'off' ? { walDir: config.busWalDir } : {}),
    });
    metrics.watchBusWal(() => {
      const wal = memory.stats().wal;
      return wal ? { ...wal } : undefined;
    });
    bus = memory;
  }
  let worker: CollectorWorker | undefined;
  try {
    worker = options.startWorker ? await options.startWorker(bus) : undefined;
  } catch (err) {
    if (ownsBus) await bus.shutdown().catch(() => {});
    throw err;
  }
  if (worker?.streamMetrics) metrics.addStreamMetrics(worker.streamMetrics);
  const analyst = new AnalystRoutes({ store: worker?.store });

  // ---- session state, routing, ingest
  const engine = options.engine ?? new DetectionEngine({ monotonicMicros: () => performance.now() * 1000 });
  metrics.watchAnalysisCache(() => {
    const stats = engine.cacheStats();
    return stats ? { ...stats } : undefined;
  });
  const guardrails = guardrailConfig
    ? new GuardrailExporter(guardrailConfig, logger.child({ component: 'guardrail-exporter' }))
    : undefined;
  const verdicts = new VerdictService(
    engine,
    guardrails ? guardrails.watch(bus) : bus,
    metrics,
    logger.child({ component: 'verdicts' }),
    {
      sliceMillis: config.ingestSliceMillis,
      maxPendingEvents: config.maxPendingEvents,
    },
  );
  const verdictQueue = new TenantWorkQueue({
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

  const hooks = new HookRoute({
    backend: createCollectorHookBackend({
      verdicts,
      queue: verdictQueue,
      ingest,
      metrics,
      logger: logger.child({ component: 'hooks' }),
    }),
    maxJsonDepth: config.maxJsonDepth,
    onUndecided: config.hookOnVerdictUnavailable,
  });

  let closing = false;
  let inFlight = 0;

  async function authenticate(req: IncomingMessage, res: ServerResponse): Promise<Principal | undefined> {
    const r = await auth.authenticate(req.headers);
    if (r.ok) return r.principal;
    metrics.authFailures.inc({ code: r.code });
    discardRest(req);
    HttpReply.error(
      res,
      r.status,
      r.code,
      r.message,
      {},
      r.status === 401 ? { 'www-authenticate': 'Bearer' } : {},
    );
    return undefined;
  }

  async function handleTraces(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const principal = await authenticate(req, res);
    if (!principal) return;
    const kind = contentKind(req);
    if (!kind) {
      discardRest(req);
      HttpReply.otlpStatus(
        res,
        415,
        `Content-Type "${req.headers['content-type'] ?? ''}" is not supported: use application/x-protobuf or application/json`,
        'json',
      );
      return;
    }
    const body = await readBody(req, config);
    if (!body.ok) {
      // 408: the client stalled, close. 413: no close, the rest is drained so the client reads the answer.
      HttpReply.otlpStatus(
        res,
        body.status,
        body.message,
        kind,
        body.status === 408 ? { connection: 'close' } : {},
      );
      return;
    }
    const raw = body.body;
    const step = await ingest.exclusive(async () => {
      const decoded = await decodeOtlpTraces(raw, kind, { sliceMillis: config.ingestSliceMillis });
      if (!decoded.ok) return decoded;
      return { ok: true as const, decoded, mapped: await ingest.map(decoded.spans, principal.tenantId) };
    });
    if (!step.ok) {
      HttpReply.otlpStatus(res, 400, step.message, kind);
      return;
    }
    const { decoded, mapped } = step;
    const out = await ingest.commit(mapped, authHeaders(req));
    if (!out.ok) {
      const status = out.refused.reason === 'backpressure' ? 429 : 503;
      metrics.dropped.inc({ reason: `spans_${out.refused.reason}` }, decoded.spans.length);
      HttpReply.otlpStatus(
        res,
        status,
        `event bus refused the spans: ${out.refused.message}; retry later`,
        kind,
        {
          'retry-after': retryAfterSeconds(out.refused.retryAfterMillis),
        },
      );
      return;
    }
    if (out.nonAgentSpans > 0) {
      if (passthrough) passthrough.forward(body.body, { 'content-type': req.headers['content-type'] });
      else metrics.dropped.inc({ reason: 'not_agent_span' }, out.nonAgentSpans);
    }
    const rejected = decoded.rejected + out.rejected;
    const errors = [...decoded.errors, ...out.errors];
    HttpReply.otlpExport(
      res,
      kind,
      rejected,
      rejected > 0 ? `${rejected} span(s) rejected: ${errors.join('; ')}` : '',
    );
  }

  /** The JSON body's bytes (not parsed: parsing is CPU work, done in the caller's turn). */
  async function readJsonBody(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ ok: true; raw: Buffer } | { ok: false }> {
    if (contentKind(req) !== 'json') {
      discardRest(req);
      HttpReply.error(res, 415, 'unsupported_media_type', 'send the body as Content-Type: application/json');
      return { ok: false };
    }
    const body = await readBody(req, config);
    if (!body.ok) {
      const code =
        body.status === 413 ? 'body_too_large' : body.status === 408 ? 'body_timeout' : 'invalid_body';
      // 408: the client stalled, close. 413: no close, the rest is drained so the client reads the answer.
      HttpReply.error(
        res,
        body.status,
        code,
        body.message,
        {},
        body.status === 408 ? { connection: 'close' } : {},
      );
      return { ok: false };
    }
    return { ok: true, raw: body.body };
  }

  function parseJson(res: ServerResponse, raw: Buffer): { ok: true; value: unknown } | { ok: false } {
    try {
      return { ok: true, value: JSON.parse(raw.toString('utf8')) };
    } catch (err) {
      HttpReply.error(res, 400, 'invalid_json', `body is not valid JSON: ${(err as Error).message}`);
      return { ok: false };
    }
  }

  async function readJson(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ ok: true; value: unknown; raw: Buffer } | { ok: false }> {
    const body = await readJsonBody(req, res);
    if (!body.ok) return body;
    const json = parseJson(res, body.raw);
    if (!json.ok) return json;
    if (!checkDepth(res, json.value)) return { ok: false };
    return { ok: true, value: json.value, raw: body.raw };
  }

  /** 400 `too_deep` for a body nested past maxJsonDepth (it would overflow recursive hashing later). */
  function checkDepth(res: ServerResponse, value: unknown): boolean {
    const deep = jsonDepthOver(value, config.maxJsonDepth);
    if (!deep) return true;
    HttpReply.error(
      res,
      400,
      'too_deep',
      `body is nested deeper than maxJsonDepth=${config.maxJsonDepth} levels (at ${deep.path}): flatten it or send deep structures as a JSON string`,
    );
    return false;
  }

  /** 429 (this tenant sends too much) or 503 (the collector is full) with Retry-After, counted as shed. */
  function shed(
    res: ServerResponse,
    route: Route,
    status: 429 | 503,
    refusal: { reason: string; message: string; retryAfterMillis: number },
  ): void {
    metrics.shed.inc({ route, reason: refusal.reason });
    HttpReply.error(
      res,
      status,
      refusal.reason,
      refusal.message,
      {},
      { 'retry-after': retryAfterSeconds(refusal.retryAfterMillis) },
    );
  }

  type VerdictStep = { kind: 'done' } | { kind: 'forward'; owner: string; request: VerdictRequest };

  /** Parses, bounds, validates and (unless another instance owns the session) decides; runs in the tenant's turn. */
  async function verdictTurn(
    res: ServerResponse,
    principal: Principal,
    raw: Buffer,
    forwarded: boolean,
    started: number,
  ): Promise<VerdictStep> {
    const json = parseJson(res, raw);
    if (!json.ok) return { kind: 'done' };
    const limit = checkVerdictLimits(json.value, config);
    if (!limit.ok) {
      metrics.verdictLimitRejections.inc({ code: limit.code });
      HttpReply.error(res, limit.status, limit.code, limit.message);
      return { kind: 'done' };
    }
    const parsed = await parseVerdictRequest(json.value);
    if (!parsed.success) {
      const issues = parsed.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      HttpReply.error(
        res,
        400,
        'invalid_request',
        `VerdictRequest is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
        { issues },
      );
      return { kind: 'done' };
    }
    const request = parsed.data;
    // The authenticated tenant decides whose session this is; a body naming another tenant changes nothing.
    const tenantId = principal.tenantId ?? request.tenantId ?? config.tenantId;
    request.tenantId = tenantId;
    for (const ev of request.events) ev.tenantId = tenantId;
    // The engine reads no clock; a caller that sent no time gets the collector's.
    request.timestampMillis ??= Date.now();
    // Events carried in the request are kept by received time like spans are: a caller stamping 1970 or
    // 2200 must not hide them from retention, hunt and dashboards.
    const skewed = stampReceivedTimes(request.events, Date.now());
    if (skewed > 0) metrics.clockSkew.inc({ source: 'verdict_request' }, skewed);
    metrics.eventsIn.inc({ source: 'verdict_request' }, request.events.length);
    const owner = peers && !forwarded ? router.ownerOf(tenantId, request.sessionId) : undefined;
    if (owner !== undefined) {
      if (!router.isDown(owner)) return { kind: 'forward', owner, request };
      metrics.peerForwards.inc({ kind: 'verdict', outcome: 'skipped_down' });
    }
    await decideLocally(res, request, started);
    return { kind: 'done' };
  }

  /**
   * VerdictRequestSchema, with the events validated one by one in time slices (validating 1 000 events at
   * once held the event loop for tens of ms, in front of every other tenant's verdicts).
   */
  async function parseVerdictRequest(
    value: unknown,
  ): Promise<
    | { success: true; data: VerdictRequest }
    | { success: false; issues: { path: PropertyKey[]; message: string }[] }
  > {
    const events = (value as { events?: unknown } | null)?.events;
    if (value === null || typeof value !== 'object' || !Array.isArray(events)) {
      const whole = VerdictRequestSchema.safeParse(value);
      return whole.success ? whole : { success: false, issues: whole.error.issues };
    }
    const head = VerdictRequestSchema.safeParse({ ...value, events: [] });
    const issues: { path: PropertyKey[]; message: string }[] = head.success ? [] : [...head.error.issues];
    const parsed = await parseEventsInSlices(events, config.ingestSliceMillis);
    issues.push(...parsed.issues);
    const parsedEvents = parsed.events;
    if (!head.success || issues.length > 0) return { success: false, issues };
    head.data.events = parsedEvents;
    return { success: true, data: head.data };
  }

  async function decideLocally(res: ServerResponse, request: VerdictRequest, started: number): Promise<void> {
    let out: Awaited<ReturnType<VerdictService['decide']>>;
    try {
      out = await verdicts.decide(request);
    } catch (err) {
      log.error({ err, sessionId: request.sessionId }, 'engine failed to decide');
      HttpReply.error(
        res,
        500,
        'engine_error',
        'the detection engine failed on this request; the SDK should apply its fallback',
      );
      return;
    }
    if (!out.ok) {
      // Not recorded, so not answered: the caller retries (or falls back) rather than act on an unaudited verdict.
      const status = out.refused.reason === 'backpressure' ? 429 : 503;
      shed(res, 'verdicts', status, {
        reason: `bus_${out.refused.reason}`,
        message: `the event bus refused the verdict record (${out.refused.message}); retry later`,
        retryAfterMillis: out.refused.retryAfterMillis,
      });
      return;
    }
    HttpReply.json(res, 200, out.verdict);
    metrics.verdicts.inc({ decision: out.verdict.decision, source: 'local' });
    metrics.verdictDuration.observe((performance.now() - started) / 1000);
  }

  async function handleVerdict(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const principal = await authenticate(req, res);
    if (!principal) return;
    // One lane per tenant: a tenant's backlog of heavy requests waits behind itself, not in front of others.
    const lane = principal.tenantId ?? config.tenantId;
    // The body is read before the request takes a place in its tenant's queue: a client trickling its body
    // (slow loris) holds a connection, bounded by maxConnections and the body deadline, never a queue place
    // that the tenant's real verdicts need.
    const body = await readJsonBody(req, res);
    if (!body.ok) return;
    const admitted = verdictQueue.admit(lane);
    if (!admitted.ok) {
      shed(res, 'verdicts', admitted.reason === 'tenant_busy' ? 429 : 503, admitted);
      return;
    }
    const forwarded = req.headers[FORWARDED_HEADER] !== undefined;
    const turn = await admitted.ticket.run(() => verdictTurn(res, principal, body.raw, forwarded, started));
    if (!turn.ok) {
      shed(res, 'verdicts', 503, turn);
      return;
    }
    if (turn.value.kind === 'done') return;
    // Forwarding waits on the network: outside the tenant's turn, so it holds no one up.
    const { owner, request } = turn.value;
    const fwd = await peers!.post(owner, '/v1/verdicts', body.raw, authHeaders(req));
    if (fwd.ok && fwd.status < 500) {
      router.markUp(owner);
      metrics.peerForwards.inc({ kind: 'verdict', outcome: 'ok' });
      if (!res.headersSent) {
        res.writeHead(fwd.status, { 'content-type': fwd.contentType, 'content-length': fwd.body.length });
        res.end(fwd.body);
      }
      if (fwd.status === 200) {
        try {
          const decision =
            (JSON.parse(fwd.body.toString('utf8')) as { decision?: string }).decision ?? 'unknown';
          metrics.verdicts.inc({ decision, source: 'peer' });
        } catch {
          // counted as a request already; a peer answering non-JSON is its own problem
        }
      }
      metrics.verdictDuration.observe((performance.now() - started) / 1000);
      return;
    }
    router.markDown(owner);
    metrics.peerForwards.inc({ kind: 'verdict', outcome: 'failed' });
    log.warn(
      { owner, why: fwd.ok ? `HTTP ${fwd.status}` : fwd.message },
      'session owner unreachable; answering locally',
    );
    const again = verdictQueue.admit(lane);
    if (!again.ok) {
      shed(res, 'verdicts', again.reason === 'tenant_busy' ? 429 : 503, again);
      return;
    }
    const local = await again.ticket.run(() => decideLocally(res, request, started));
    if (!local.ok) shed(res, 'verdicts', 503, local);
  }

  /**
   * `POST /v1/internal/events`: events a peer already published, applied to this owner's session state (not
   * published again). Peers only: it writes session state without a record, so an agent key alone must not
   * reach it. Peers send the caller's credentials plus FORWARDED_HEADER naming a configured peer; the body
   * gets the verdict route's bounds (events, value size, depth) and is validated in time slices.
   */
  async function handleInternalEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const from = req.headers[FORWARDED_HEADER];
    if (!peers || typeof from !== 'string' || from === config.selfUrl || !config.peers.includes(from)) {
      discardRest(req);
      metrics.authFailures.inc({ code: 'not_a_peer' });
      HttpReply.error(
        res,
        403,
        'not_a_peer',
        `${ROUTES_INTERNAL_EVENTS} is for session-affinity peers only (BULWARK_PEERS, header ${FORWARDED_HEADER}): agents send events to /v1/traces`,
      );
      return;
    }
    const principal = await authenticate(req, res);
    if (!principal) return;
    const json = await readJson(req, res);
    if (!json.ok) return;
    const limit = checkVerdictLimits(json.value, config);
    if (!limit.ok) {
      metrics.verdictLimitRejections.inc({ code: limit.code });
      HttpReply.error(res, limit.status, limit.code, limit.message);
      return;
    }
    const raw = (json.value as { events?: unknown } | null)?.events;
    if (!Array.isArray(raw)) {
      HttpReply.error(res, 400, 'invalid_request', 'expected { "events": [AgentEvent, ...] }');
      return;
    }
    const parsed = await parseEventsInSlices(raw, config.ingestSliceMillis);
    if (parsed.issues.length > 0) {
      const text = parsed.issues
        .slice(0, 10)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ');
      HttpReply.error(res, 400, 'invalid_request', `events are invalid: ${text}`);
      return;
    }
    const events = parsed.events;
    if (principal.tenantId !== undefined) for (const ev of events) ev.tenantId = principal.tenantId;
    metrics.eventsIn.inc({ source: 'peer' }, events.length);
    if (!verdicts.canAccept(events.length)) {
      HttpReply.error(
        res,
        429,
        'backpressure',
        'session state backlog is full; retry later',
        {},
        { 'retry-after': '1' },
      );
      return;
    }
    verdicts.enqueue(events);
    HttpReply.json(res, 200, { ingested: events.length });
  }

  // ---- approvals: approvers answer require_approval verdicts here; the waiting agent long-polls for it.
  const approvals = new ApprovalDesk();
  // Approvers answer with keys of their own: agent credentials never approve (an injected agent could).
  const approverAuth = new Authenticator({
    apiKeys: config.approverKeys,
    tenantId: config.tenantId,
    jwtTenantClaim: config.jwtTenantClaim,
  });
  async function handleApprovalAnswer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (config.approverKeys.length === 0) {
      discardRest(req);
      HttpReply.error(
        res,
        403,
        'approvals_disabled',
        'no approver credentials are configured: set BULWARK_APPROVER_KEYS and give one to the approvers',
      );
      return;
    }
    const approver = await approverAuth.authenticate(req.headers);
    if (!approver.ok) {
      metrics.authFailures.inc({ code: approver.code });
      discardRest(req);
      HttpReply.error(
        res,
        approver.status,
        approver.code,
        `approver credentials required: ${approver.message}`,
      );
      return;
    }
    const principal = approver.principal;
    const json = await readJson(req, res);
    if (!json.ok) return;
    const parsed = ApprovalAnswerSchema.safeParse(json.value);
    if (!parsed.success) {
      HttpReply.error(res, 400, 'invalid_request', `approval answer is invalid: ${issuesText(parsed.error)}`);
      return;
    }
    // Approver keys are the operator's: the answer names the tenant of the request it answers (a JWT tenant's
    // agent waits under its own tenant, not BULWARK_TENANT_ID).
    const { tenantId: answeredTenant, ...answer } = parsed.data;
    const tenantId = answeredTenant ?? principal.tenantId ?? config.tenantId;
    const outcome = approvals.record(tenantId, answer);
    if (!outcome.ok) {
      if (outcome.code === 'desk_full') {
        HttpReply.error(
          res,
          503,
          outcome.code,
          outcome.message,
          {},
          { 'retry-after': String(outcome.retryAfterSeconds) },
        );
      } else HttpReply.error(res, 409, outcome.code, outcome.message);
      return;
    }
    log.info(
      {
        tenantId,
        approvalId: parsed.data.approvalId,
        decision: parsed.data.decision,
        approver: parsed.data.approver,
      },
      'approval answered',
    );
    HttpReply.json(res, 200, { status: outcome.status, waitersReleased: outcome.waitersReleased });
  }
  async function handleApprovalWait(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const principal = await authenticate(req, res);
    if (!principal) return;
    const json = await readJson(req, res);
    if (!json.ok) return;
    const parsed = ApprovalWaitSchema.safeParse(json.value);
    if (!parsed.success) {
      HttpReply.error(res, 400, 'invalid_request', `approval wait is invalid: ${issuesText(parsed.error)}`);
      return;
    }
    const tenantId = principal.tenantId ?? config.tenantId;
    const wait = closing ? 0 : parsed.data.waitMillis;
    const waiting = approvals.wait(tenantId, parsed.data.approvalId, wait);
    if (!waiting.ok) {
      HttpReply.error(
        res,
        429,
        waiting.code,
        waiting.message,
        {},
        { 'retry-after': String(waiting.retryAfterSeconds) },
      );
      return;
    }
    HttpReply.json(res, 200, await waiting.status);
  }

  // Readers of the analyst view have keys of their own: an injected agent with a shell and its own
  // BULWARK_API_KEY must not read other sessions' captured content.
  const analystAuth = new Authenticator({
    apiKeys: config.analystKeys,
    tenantId: config.tenantId,
    jwks: config.jwks as ConstructorParameters<typeof Authenticator>[0]['jwks'],
    jwksFile: config.jwksFile,
    jwtIssuer: config.jwtIssuer,
    jwtAudience: config.jwtAudience,
    jwtTenantClaim: config.jwtTenantClaim,
    requiredClaim: { name: config.jwtAnalystClaim, value: 'analyst' },
  });
  const analystHint = `use an analyst key (BULWARK_ANALYST_KEYS) or a token whose "${config.jwtAnalystClaim}" claim is "analyst"`;
  /**
   * Auth off (loopback) and no analyst keys: open, as the API. Otherwise analyst credentials only; agent
   * credentials get 403 saying which to use.
   */
  async function authenticateAnalyst(req: IncomingMessage): Promise<AuthResult> {
    if (!auth.enabled && !analystAuth.enabled) return auth.authenticate(req.headers);
    const analyst = analystAuth.enabled
      ? await analystAuth.authenticate(req.headers)
      : ({
          ok: false,
          status: 403,
          code: 'analyst_view_disabled',
          message: `no analyst credentials are configured: set BULWARK_ANALYST_KEYS (or issue tokens whose "${config.jwtAnalystClaim}" claim is "analyst")`,
        } as const);
    if (analyst.ok) return analyst;
    if (auth.enabled && (await auth.authenticate(req.headers)).ok)
      return {
        ok: false,
        status: 403,
        code: 'analyst_credentials_required',
        message: `agent credentials cannot read the analyst view: ${analystHint}`,
      };
    return analyst;
  }

  /** The analyst view: authenticated like the API, but pages answer a sign-in page instead of a JSON 401. */
  async function handleAnalyst(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const result = await authenticateAnalyst(req);
    if (!result.ok) metrics.authFailures.inc({ code: result.code });
    let body: unknown;
    if (req.method === 'POST' && result.ok) {
      const json = await readJson(req, res);
      if (!json.ok) return;
      body = json.value;
    } else discardRest(req);
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const out = await analyst.handle({ method: req.method ?? 'GET', path, query, auth: result, body });
    if (res.headersSent) return;
    res.writeHead(out.status, { ...out.headers, 'content-length': Buffer.byteLength(out.body) });
    res.end(req.method === 'HEAD' ? undefined : out.body);
  }

  /** `POST /v1/hooks/<agent>`: a coding agent's hook payload in, its own answer format out. */
  async function handleHook(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'POST') {
      discardRest(req);
      HttpReply.error(res, 405, 'method_not_allowed', `${path} accepts POST only`, {}, { allow: 'POST' });
      return;
    }
    // No early HTTP error here: the agents run the tool on a non-2xx answer, so the route answers every
    // problem of a pre-tool hook (credentials, body, depth) with a refusal in the agent's own format.
    const authed = await auth.authenticate(req.headers);
    if (!authed.ok) metrics.authFailures.inc({ code: authed.code });
    const read = await readHookBody(req);
    const session = req.headers['x-bulwark-session-id'];
    const out = await hooks.handle({
      agent: HookRoute.agentOf(path),
      body: read.ok ? read.value : undefined,
      ...(read.ok ? {} : { unreadable: read.problem }),
      ...(authed.ok
        ? {}
        : {
            authFailure: {
              status: authed.status,
              code: authed.code,
              message: authed.message,
              ...(authed.status === 401 ? { headers: { 'www-authenticate': 'Bearer' } } : {}),
            },
          }),
      tenantId: (authed.ok ? authed.principal.tenantId : undefined) ?? config.tenantId,
      ...(typeof session === 'string' ? { sessionId: session } : {}),
      query: new URL(req.url ?? '/', 'http://localhost').searchParams,
      forwardHeaders: authHeaders(req),
    });
    if (out.undecided)
      log.warn({ path, code: out.undecided }, 'pre-tool hook answered without a verdict (refused)');
    const close: Record<string, string> =
      !read.ok && read.problem.status === 408 ? { connection: 'close' } : {};
    HttpReply.json(res, out.status, out.body, { ...(out.headers ?? {}), ...close });
  }

  /** A hook's JSON body, or the problem (status, code, message) for the route to answer in-format. */
  async function readHookBody(
    req: IncomingMessage,
  ): Promise<
    { ok: true; value: unknown } | { ok: false; problem: { status: number; code: string; message: string } }
  > {
    if (contentKind(req) !== 'json') {
      discardRest(req);
      return {
        ok: false,
        problem: {
          status: 415,
          code: 'unsupported_media_type',
          message: 'send the body as Content-Type: application/json',
        },
      };
    }
    const body = await readBody(req, config);
    if (!body.ok) {
      const code =
        body.status === 413 ? 'body_too_large' : body.status === 408 ? 'body_timeout' : 'invalid_body';
      return { ok: false, problem: { status: body.status, code, message: body.message } };
    }
    try {
      return { ok: true, value: JSON.parse(body.body.toString('utf8')) };
    } catch (err) {
      return {
        ok: false,
        problem: {
          status: 400,
          code: 'invalid_json',
          message: `body is not valid JSON: ${(err as Error).message}`,
        },
      };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const spec = ROUTES[path];
    const route: Route =
      spec?.route ?? (AnalystRoutes.matches(path) ? 'analyst' : HookRoute.matches(path) ? 'hooks' : 'other');
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      metrics.httpRequests.inc({ route, status: String(res.statusCode) });
    });
    try {
      const ip = ipFilter.check(req.socket.remoteAddress ?? '');
      if (!ip.ok) {
        metrics.authFailures.inc({ code: 'ip_denied' });
        discardRest(req);
        HttpReply.error(res, 403, 'ip_denied', ip.message);
        return;
      }
      if (overLimit.has(req.socket) && route !== 'healthz' && route !== 'readyz' && route !== 'metrics') {
        // Answered, not dropped: the client learns to come back instead of timing out on a silent socket.
        discardRest(req);
        metrics.shed.inc({ route, reason: 'too_many_connections' });
        HttpReply.error(
          res,
          503,
          'too_many_connections',
          `the collector holds maxConnections=${config.maxConnections} connections; retry after the Retry-After delay`,
          {},
          { 'retry-after': '1', connection: 'close' },
        );
        return;
      }
      if (!spec && route === 'hooks') {
        await handleHook(req, res, path);
        return;
      }
      if (!spec && route === 'analyst') {
        await handleAnalyst(req, res, path);
        return;
      }
      if (!spec) {
        discardRest(req);
        HttpReply.error(
          res,
          404,
          'not_found',
          `no route ${path}: see the collector README for the endpoints`,
        );
        return;
      }
      if (req.method !== spec.method) {
        discardRest(req);
        HttpReply.error(
          res,
          405,
          'method_not_allowed',
          `${path} accepts ${spec.method} only`,
          {},
          { allow: spec.method },
        );
        return;
      }
      switch (spec.route) {
        case 'healthz':
          HttpReply.json(res, 200, { status: 'ok' });
          return;
        case 'readyz': {
          const busReady = bus.isReady();
          const workerReady = worker?.isReady?.() ?? true;
          if (closing || !busReady || !workerReady) {
            HttpReply.json(res, 503, {
              status: 'not_ready',
              reason: closing ? 'shutting down' : !busReady ? 'event bus not ready' : 'event store not ready',
            });
          } else HttpReply.json(res, 200, { status: 'ready' });
          return;
        }
        case 'metrics': {
          metrics.busReady.set(bus.isReady() ? 1 : 0);
          metrics.verdictsInFlight.set(verdictQueue.size);
          metrics.openConnections.set(openConnections);
          const text = await metrics.registry.metrics();
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
          return;
        }
        case 'traces':
          await handleTraces(req, res);
          return;
        case 'verdicts':
          await handleVerdict(req, res);
          return;
        case 'internal_events':
          await handleInternalEvents(req, res);
          return;
        case 'approvals':
          await handleApprovalAnswer(req, res);
          return;
        case 'approvals_wait':
          await handleApprovalWait(req, res);
          return;
        default:
          return;
      }
    } catch (err) {
      log.error({ err, path }, 'request failed');
      if (!res.headersSent)
        HttpReply.error(res, 500, 'internal_error', 'the collector failed on this request');
      else res.destroy();
    }
  }

  const server = http.createServer(
    {
      keepAliveTimeout: 65_000,
      headersTimeout: config.headersTimeoutMillis,
      requestTimeout: config.requestTimeoutMillis,
      // node:http checks both timeouts only this often (default 30 s, which let a slow-loris socket live
      // 41 s past a 20 s headersTimeout): check often enough that the bounds hold to within a second.
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(config.headersTimeoutMillis / 2)),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => void handle(req, res),
  );
  // Connections past maxConnections are served a 503 + Retry-After on their first request and closed.
  let openConnections = 0;
  const overLimit = new WeakSet<object>();
  server.on('connection', (socket) => {
    openConnections += 1;
    if (openConnections > config.maxConnections) overLimit.add(socket);
    socket.once('close', () => {
      openConnections -= 1;
    });
  });
  server.on('clientError', (err, socket) => {
    metrics.httpRequests.inc({ route: 'other', status: '400' });
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new CollectorListenError(`${config.host}:${config.port}`, err));
    server.once('error', onError);
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      resolve();
    });
  }).catch(async (err: unknown) => {
    await worker?.shutdown().catch(() => {});
    if (ownsBus) await bus.shutdown().catch(() => {});
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  log.info(
    { url, bus: options.eventBus ? 'external' : config.bus, auth: auth.enabled, peers: config.peers.length },
    'collector listening',
  );

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      approvals.close();
      log.info({}, 'collector shutting down: no new connections, finishing requests in flight');
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.shutdownTimeoutMillis;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      server.closeAllConnections();
      await stopped;
      // Findings of events still waiting to be applied go out before the bus is flushed.
      await withTimeout(verdicts.whenIdle(), config.shutdownTimeoutMillis);
      if (guardrails) await withTimeout(guardrails.shutdown(), config.shutdownTimeoutMillis);
      await passthrough?.forceFlush();
      // Everything accepted reaches the worker before it stops (the in-process bus holds records in memory).
      if (worker) await withTimeout(bus.forceFlush(), config.shutdownTimeoutMillis);
      if (worker)
        await worker.shutdown().catch((err: unknown) => log.error({ err }, 'worker shutdown failed'));
      if (ownsBus) await bus.shutdown();
      await peers?.close();
      log.info({}, 'collector stopped');
    })();
    return closed;
  };

  return { url, port, config, bus, metrics, logger, close };
}
