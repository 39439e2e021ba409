import { formatZodIssues } from '@bulwark/contracts';
import { FORWARDED_HEADER, type PeerClient } from '../affinity/peer-client.js';
import type { Authenticator } from '../authenticator.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import type { CollectorConfig } from '../config.js';
import { parseEventsInSlices } from '../parse-events-in-slices.js';
import { checkVerdictLimits } from '../verdict-limits.js';
import type { VerdictService } from '../verdict-service.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import type { CollectorRequest } from './collector-request.js';
import { readJson } from './request-body.js';
import { authenticate } from './route-support.js';

export const INTERNAL_EVENTS_PATH = '/v1/internal/events';

export interface InternalEventsRouteDeps {
  config: CollectorConfig;
  metrics: CollectorMetrics;
  auth: Authenticator;
  verdicts: VerdictService;
  /** Set when session affinity is on; without it the route refuses every caller. */
  peers?: PeerClient;
}

function notAPeer(metrics: CollectorMetrics, req: CollectorRequest): CollectorReply {
  req.discardBody();
  metrics.authFailures.inc({ code: 'not_a_peer' });
  return Reply.error(
    403,
    'not_a_peer',
    `${INTERNAL_EVENTS_PATH} is for session-affinity peers only (BULWARK_PEERS, header ${FORWARDED_HEADER}): agents send events to /v1/traces`,
  );
}

/**
 * `POST /v1/internal/events`: events a peer already published, applied to this owner's session state (not
 * published again). Peers only: it writes session state without a record, so an agent key alone must not
 * reach it. Peers send the caller's credentials plus FORWARDED_HEADER naming a configured peer; the body
 * gets the verdict route's bounds (events, value size, depth) and is validated in time slices.
 *
 * @example
 * const reply = await internalEventsRoute(deps)(request); // 200 { ingested: n }
 */
export function internalEventsRoute(
  deps: InternalEventsRouteDeps,
): (req: CollectorRequest) => Promise<CollectorReply> {
  const { config, metrics, verdicts, peers } = deps;
  return async function handleInternalEvents(req) {
    const from = req.headers[FORWARDED_HEADER];
    if (!peers || typeof from !== 'string' || from === config.selfUrl || !config.peers.includes(from))
      return notAPeer(metrics, req);
    const authed = await authenticate(deps.auth, metrics, req);
    if (!authed.ok) return authed.reply;
    const json = await readJson(req, config);
    if (!json.ok) return json.reply;
    const limit = checkVerdictLimits(json.value, config);
    if (!limit.ok) {
      metrics.verdictLimitRejections.inc({ code: limit.code });
      return Reply.error(limit.status, limit.code, limit.message);
    }
    const raw = (json.value as { events?: unknown } | null)?.events;
    if (!Array.isArray(raw))
      return Reply.error(400, 'invalid_request', 'expected { "events": [AgentEvent, ...] }');
    const parsed = await parseEventsInSlices(raw, config.ingestSliceMillis);
    if (parsed.issues.length > 0) {
      const text = formatZodIssues(parsed.issues, { limit: 10 }).join('; ');
      return Reply.error(400, 'invalid_request', `events are invalid: ${text}`);
    }
    const events = parsed.events;
    const tenantId = authed.principal.tenantId;
    if (tenantId !== undefined) for (const ev of events) ev.tenantId = tenantId;
    metrics.eventsIn.inc({ source: 'peer' }, events.length);
    if (!verdicts.canAccept(events.length))
      return Reply.error(
        429,
        'backpressure',
        'session state backlog is full; retry later',
        {},
        { 'retry-after': '1' },
      );
    verdicts.enqueue(events);
    return Reply.json(200, { ingested: events.length });
  };
}
