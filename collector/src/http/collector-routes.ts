import type { CollectorMetrics } from '../collector-metrics.js';
import { HookRoute } from '../hooks/hook-route.js';
import type { IpFilter } from '../ip-filter.js';
import { AnalystRoutes } from './analyst-routes.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import { type CollectorRequest, pathOf } from './collector-request.js';
import { INTERNAL_EVENTS_PATH } from './internal-events-route.js';
import type { RouteName } from './route-support.js';

type FixedRoute = Exclude<RouteName, 'analyst' | 'hooks' | 'other'>;
type Handler = (req: CollectorRequest) => Promise<CollectorReply>;

const ROUTES: Record<string, { route: FixedRoute; method: 'GET' | 'POST' }> = {
  '/v1/traces': { route: 'traces', method: 'POST' },
  '/v1/verdicts': { route: 'verdicts', method: 'POST' },
  '/v1/approvals': { route: 'approvals', method: 'POST' },
  '/v1/approvals/wait': { route: 'approvals_wait', method: 'POST' },
  [INTERNAL_EVENTS_PATH]: { route: 'internal_events', method: 'POST' },
  '/healthz': { route: 'healthz', method: 'GET' },
  '/readyz': { route: 'readyz', method: 'GET' },
  '/metrics': { route: 'metrics', method: 'GET' },
};

/** Probes are answered even past maxConnections: an orchestrator must see the instance alive. */
const PROBES = new Set<RouteName>(['healthz', 'readyz', 'metrics']);

/** The metrics label of a request path. */
export function routeOf(path: string): RouteName {
  return (
    ROUTES[path]?.route ??
    (AnalystRoutes.matches(path) ? 'analyst' : HookRoute.matches(path) ? 'hooks' : 'other')
  );
}

export interface CollectorRoutesDeps {
  metrics: CollectorMetrics;
  ipFilter: IpFilter;
  maxConnections: number;
  handlers: Record<FixedRoute | 'analyst' | 'hooks', Handler>;
}

/** What the connection says about a request: it came in past maxConnections. */
export interface ConnectionState {
  overLimit: boolean;
}

function refuse(
  req: CollectorRequest,
  status: number,
  code: string,
  message: string,
  headers = {},
): CollectorReply {
  req.discardBody();
  return Reply.error(status, code, message, {}, headers);
}

/**
 * The collector's router: IP filter, connection limit, path and method, then the route's handler. A request
 * value in, a reply value out; the node:http adapter only reads and writes.
 *
 * @example
 * const handle = collectorRoutes(deps);
 * const reply = await handle(bufferedRequest({ method: 'GET', url: '/healthz' }), { overLimit: false });
 */
export function collectorRoutes(deps: CollectorRoutesDeps) {
  const { metrics, ipFilter, handlers } = deps;
  return async function handle(req: CollectorRequest, conn: ConnectionState): Promise<CollectorReply> {
    const path = pathOf(req);
    const route = routeOf(path);
    const ip = ipFilter.check(req.remoteAddress);
    if (!ip.ok) {
      metrics.authFailures.inc({ code: 'ip_denied' });
      return refuse(req, 403, 'ip_denied', ip.message);
    }
    if (conn.overLimit && !PROBES.has(route)) {
      // Answered, not dropped: the client learns to come back instead of timing out on a silent socket.
      metrics.shed.inc({ route, reason: 'too_many_connections' });
      const message = `the collector holds maxConnections=${deps.maxConnections} connections; retry after the Retry-After delay`;
      return refuse(req, 503, 'too_many_connections', message, { 'retry-after': '1', connection: 'close' });
    }
    if (route === 'hooks' || route === 'analyst') return handlers[route](req);
    const spec = ROUTES[path];
    if (!spec)
      return refuse(req, 404, 'not_found', `no route ${path}: see the collector README for the endpoints`);
    if (req.method !== spec.method)
      return refuse(req, 405, 'method_not_allowed', `${path} accepts ${spec.method} only`, {
        allow: spec.method,
      });
    return handlers[spec.route](req);
  };
}
