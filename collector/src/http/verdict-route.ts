import { performance } from 'node:perf_hooks';
import {
  formatZodIssues,
  stampReceivedTimes,
  type VerdictRequest,
  VerdictRequestSchema,
  zodIssuePath,
} from '@bulwark/contracts';
import type { Logger } from 'pino';
import { FORWARDED_HEADER, type PeerClient } from '../affinity/peer-client.js';
import type { SessionRouter } from '../affinity/session-router.js';
import type { Authenticator, Principal } from '../authenticator.js';
import { isCheckedVerdictHead } from '../check-verdict-head.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { CollectorConfig } from '../config.js';
import { parseEventsInSlices } from '../parse-events-in-slices.js';
import type { Refusal, TenantWorkQueue, WorkTicket } from '../tenant-work-queue.js';
import { checkVerdictLimits } from '../verdict-limits.js';
import type { DecideOutcome, VerdictService } from '../verdict-service.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import type { CollectorRequest } from './collector-request.js';
import { authHeaders, parseJson, readJsonBody } from './request-body.js';
import { authenticate, shed } from './route-support.js';

/** What `POST /v1/verdicts` needs: the verdict service, the tenant queue and, with peers, the session router. */
export interface VerdictRouteDeps {
  config: CollectorConfig;
  metrics: CollectorMetrics;
  log: Logger;
  auth: Authenticator;
  verdicts: VerdictService;
  queue: TenantWorkQueue;
  router: SessionRouter;
  /** Set when session affinity is on (`peers`). */
  peers?: PeerClient;
}

type Done = { kind: 'done'; reply: CollectorReply };
/** Decided; the reply once the bus accepted the records, awaited after the tenant's turn. */
type Recording = { kind: 'recording'; reply: Promise<CollectorReply> };
type VerdictStep = Done | Recording | { kind: 'forward'; owner: string; request: VerdictRequest };

type ParsedVerdict =
  | { success: true; data: VerdictRequest }
  | { success: false; issues: { path: PropertyKey[]; message: string }[] };

/**
 * VerdictRequestSchema, with the events validated one by one in time slices (validating 1 000 events at
 * once held the event loop for tens of ms, in front of every other tenant's verdicts).
 */
async function parseVerdictRequest(value: unknown, sliceMillis: number): Promise<ParsedVerdict> {
  const events = (value as { events?: unknown } | null)?.events;
  if (value === null || typeof value !== 'object' || !Array.isArray(events)) {
    const whole = VerdictRequestSchema.safeParse(value);
    return whole.success ? whole : { success: false, issues: whole.error.issues };
  }
  // The head as parsed (zod would return it unchanged), or zod's copy and issues.
  const head = isCheckedVerdictHead(value as Record<string, unknown>)
    ? { success: true as const, data: value as VerdictRequest }
    : VerdictRequestSchema.safeParse({ ...value, events: [] });
  const issues: { path: PropertyKey[]; message: string }[] = head.success ? [] : [...head.error.issues];
  const parsed = await parseEventsInSlices(events, sliceMillis);
  issues.push(...parsed.issues);
  if (!head.success || issues.length > 0) return { success: false, issues };
  head.data.events = parsed.events;
  return { success: true, data: head.data };
}

function invalidRequest(issues: { path: PropertyKey[]; message: string }[]): CollectorReply {
  const listed = issues.map((i) => ({ path: zodIssuePath(i.path), message: i.message }));
  const text = formatZodIssues(issues).join('; ');
  return Reply.error(400, 'invalid_request', `VerdictRequest is invalid: ${text}`, { issues: listed });
}

/**
 * Decides (in the caller's turn) and hands the records to the bus; the step's reply settles once the bus
 * accepted them, so the turn can end before the wait (a bus with a WAL or Kafka acknowledges after a write).
 */
async function decideLocally(
  deps: VerdictRouteDeps,
  request: VerdictRequest,
  started: number,
): Promise<Done | Recording> {
  const { log, verdicts } = deps;
  let decided: Awaited<ReturnType<VerdictService['decideThenRecord']>>;
  try {
    decided = await verdicts.decideThenRecord(request);
  } catch (err) {
    log.error({ err, sessionId: request.sessionId }, 'engine failed to decide');
    const reply = Reply.error(
      500,
      'engine_error',
      'the detection engine failed on this request; the SDK should apply its fallback',
    );
    return { kind: 'done', reply };
  }
  return { kind: 'recording', reply: decided.recorded.then((out) => answer(deps, out, started)) };
}

/** The answer to a decided verdict: 200, or 429/503 when the bus refused its records. */
function answer(deps: VerdictRouteDeps, out: DecideOutcome, started: number): CollectorReply {
  const { metrics } = deps;
  if (!out.ok) {
    // Not recorded, so not answered: the caller retries (or falls back) rather than act on an unaudited verdict.
    return shed(metrics, 'verdicts', out.refused.reason === 'backpressure' ? 429 : 503, {
      reason: `bus_${out.refused.reason}`,
      message: `the event bus refused the verdict record (${out.refused.message}); retry later`,
      retryAfterMillis: out.refused.retryAfterMillis,
    });
  }
  metrics.verdicts.inc({ decision: out.verdict.decision, source: 'local' });
  metrics.verdictDuration.observe((performance.now() - started) / 1000);
  return Reply.json(200, out.verdict);
}

/** Stamps tenant and times on a valid request; the authenticated tenant decides whose session it is. */
function stamp(deps: VerdictRouteDeps, request: VerdictRequest, principal: Principal): string {
  const { config, metrics } = deps;
  // A body naming another tenant changes nothing.
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
  return tenantId;
}

/** Parses, bounds, validates and (unless another instance owns the session) decides; runs in the tenant's turn. */
async function turn(
  deps: VerdictRouteDeps,
  principal: Principal,
  raw: Buffer,
  forwarded: boolean,
  started: number,
): Promise<VerdictStep> {
  const { config, metrics, router, peers } = deps;
  const json = parseJson(raw);
  if (!json.ok) return { kind: 'done', reply: json.reply };
  const limit = checkVerdictLimits(json.value, config);
  if (!limit.ok) {
    metrics.verdictLimitRejections.inc({ code: limit.code });
    return { kind: 'done', reply: Reply.error(limit.status, limit.code, limit.message) };
  }
  const parsed = await parseVerdictRequest(json.value, config.ingestSliceMillis);
  if (!parsed.success) return { kind: 'done', reply: invalidRequest(parsed.issues) };
  const request = parsed.data;
  const tenantId = stamp(deps, request, principal);
  const owner = peers && !forwarded ? router.ownerOf(tenantId, request.sessionId) : undefined;
  if (owner !== undefined) {
    if (!router.isDown(owner)) return { kind: 'forward', owner, request };
    metrics.peerForwards.inc({ kind: 'verdict', outcome: 'skipped_down' });
  }
  return decideLocally(deps, request, started);
}

/** The owner's answer as it came; undefined when the owner failed (marked down, answered locally). */
async function forward(
  deps: VerdictRouteDeps,
  req: CollectorRequest,
  owner: string,
  raw: Buffer,
  started: number,
): Promise<CollectorReply | undefined> {
  const { metrics, log, router, peers } = deps;
  const fwd = await peers!.post(owner, '/v1/verdicts', raw, authHeaders(req.headers));
  if (fwd.ok && fwd.status < 500) {
    router.markUp(owner);
    metrics.peerForwards.inc({ kind: 'verdict', outcome: 'ok' });
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
    const headers = { 'content-type': fwd.contentType, 'content-length': fwd.body.length };
    return { status: fwd.status, headers, body: fwd.body };
  }
  router.markDown(owner);
  metrics.peerForwards.inc({ kind: 'verdict', outcome: 'failed' });
  log.warn(
    { owner, why: fwd.ok ? `HTTP ${fwd.status}` : fwd.message },
    'session owner unreachable; answering locally',
  );
  return undefined;
}

/**
 * The `POST /v1/verdicts` handler: authenticate, read the body, wait for the tenant's turn, parse, bound,
 * validate, then decide here or forward to the instance owning the session (answering locally when it is down).
 *
 * @example
 * const handle = verdictRoute(deps);
 * const reply = await handle(bufferedRequest({ method: 'POST', url: '/v1/verdicts', headers, body }));
 */
export function verdictRoute(deps: VerdictRouteDeps): (req: CollectorRequest) => Promise<CollectorReply> {
  const { config, metrics, queue } = deps;
  return async function handleVerdict(req) {
    const started = performance.now();
    const authed = await authenticate(deps.auth, metrics, req);
    if (!authed.ok) return authed.reply;
    // One lane per tenant: a tenant's backlog of heavy requests waits behind itself, not in front of others.
    const lane = authed.principal.tenantId ?? config.tenantId;
    // The body is read before the request takes a place in its tenant's queue: a client trickling its body
    // (slow loris) holds a connection, bounded by maxConnections and the body deadline, never a queue place
    // that the tenant's real verdicts need.
    const body = await readJsonBody(req, config);
    if (!body.ok) return body.reply;
    const admitted = queue.admit(lane);
    if (!admitted.ok)
      return shed(metrics, 'verdicts', admitted.reason === 'tenant_busy' ? 429 : 503, admitted);
    const forwarded = req.headers[FORWARDED_HEADER] !== undefined;
    const step = await inTurn(admitted.ticket, () =>
      turn(deps, authed.principal, body.raw, forwarded, started),
    );
    if (!step.ok) return shed(metrics, 'verdicts', 503, step);
    if (step.value.kind !== 'forward') return step.value.reply;
    // Forwarding waits on the network: outside the tenant's turn, so it holds no one up.
    const { owner, request } = step.value;
    const answered = await forward(deps, req, owner, body.raw, started);
    if (answered) return answered;
    const again = queue.admit(lane);
    if (!again.ok) return shed(metrics, 'verdicts', again.reason === 'tenant_busy' ? 429 : 503, again);
    const local = await inTurn(again.ticket, () => decideLocally(deps, request, started));
    return local.ok ? local.value.reply : shed(metrics, 'verdicts', 503, local);
  };
}

/**
 * Runs `work` in the tenant's turn; a decided verdict's wait for the bus (a WAL's fsync, Kafka's ack) comes
 * after the turn, so the tenant's next verdict is decided meanwhile (its records are published after this
 * one's, and share the write). The place stays taken until the reply is ready: the tenant's and the
 * collector's bounds count the request until it is answered, as before.
 */
async function inTurn<S extends VerdictStep>(
  ticket: WorkTicket,
  work: () => Promise<S>,
): Promise<{ ok: true; value: Exclude<S, Recording> | Done } | ({ ok: false } & Refusal)> {
  try {
    const step = await ticket.run(work, { keepPlace: true });
    if (!step.ok) return step;
    if (step.value.kind !== 'recording') return { ok: true, value: step.value as Exclude<S, Recording> };
    return { ok: true, value: { kind: 'done', reply: await step.value.reply } };
  } finally {
    ticket.release();
  }
}
