import type { Authenticator, Principal } from '../authenticator.js';
import type { CollectorMetrics } from '../collector-metrics.js';
import { type CollectorReply, Reply } from './collector-reply.js';
import type { CollectorRequest } from './collector-request.js';
import type { Step } from './request-body.js';

/** Route labels of the collector's HTTP metrics. */
export type RouteName =
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

/** Seconds for a Retry-After header, at least 1. */
export function retryAfterSeconds(millis: number): string {
  return String(Math.max(1, Math.ceil(millis / 1000)));
}

/** The caller's principal, or the 401/403 reply (counted as an auth failure, the body dropped). */
export async function authenticate(
  auth: Authenticator,
  metrics: CollectorMetrics,
  req: CollectorRequest,
): Promise<Step<{ principal: Principal }>> {
  const r = await auth.authenticate(req.headers);
  if (r.ok) return { ok: true, principal: r.principal };
  metrics.authFailures.inc({ code: r.code });
  req.discardBody();
  const headers: Record<string, string> = r.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  return { ok: false, reply: Reply.error(r.status, r.code, r.message, {}, headers) };
}

/** 429 (this tenant sends too much) or 503 (the collector is full) with Retry-After, counted as shed. */
export function shed(
  metrics: CollectorMetrics,
  route: RouteName,
  status: 429 | 503,
  refusal: { reason: string; message: string; retryAfterMillis: number },
): CollectorReply {
  metrics.shed.inc({ route, reason: refusal.reason });
  return Reply.error(
    status,
    refusal.reason,
    refusal.message,
    {},
    { 'retry-after': retryAfterSeconds(refusal.retryAfterMillis) },
  );
}
