import { randomUUID } from 'node:crypto';
import { type Answer, HttpReceiver } from './http-receiver.js';

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];

/** One PagerDuty alert as the receiver tracks it (one per dedup_key). */
export interface PagerDutyAlert {
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  triggers: number;
  lastEvent: Record<string, unknown>;
}

/**
 * Plays PagerDuty's Events API v2 (`POST /v2/enqueue`). Validates the documented schema - `routing_key` (32
 * characters), `event_action` trigger|acknowledge|resolve, `dedup_key` <= 255 (required to acknowledge or
 * resolve), and for a trigger `payload.summary` (1..1024), `payload.source`, `payload.severity`
 * critical|error|warning|info, ISO `payload.timestamp`, object `custom_details`, `links[].href`; 512 KB max -
 * and answers 202 `{status: 'success', message: 'Event processed', dedup_key}` or 400
 * `{status: 'invalid event', message: 'Event object is invalid', errors}`. Tracks alerts by dedup_key.
 */
export class PagerDutyReceiver extends HttpReceiver {
  readonly alerts = new Map<string, PagerDutyAlert>();

  protected handle(req: { method: string; path: string; body: string }): Answer {
    if (req.method !== 'POST' || req.path !== '/v2/enqueue') return json(404, { status: 'not found' });
    if (Buffer.byteLength(req.body) > 512 * 1024)
      return json(413, { status: 'invalid event', message: 'Request too large' });
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      return invalid(['Event object is not valid JSON']);
    }
    const errors = validate(ev);
    if (errors.length > 0) return invalid(errors);
    const action = String(ev.event_action);
    const dedupKey = typeof ev.dedup_key === 'string' ? ev.dedup_key : randomUUID().replace(/-/g, '');
    const existing = this.alerts.get(dedupKey);
    if (action === 'trigger') {
      if (existing && existing.status !== 'resolved') {
        existing.triggers += 1;
        existing.lastEvent = ev;
      } else this.alerts.set(dedupKey, { dedupKey, status: 'triggered', triggers: 1, lastEvent: ev });
    } else if (existing) {
      existing.status = action === 'resolve' ? 'resolved' : 'acknowledged';
      existing.lastEvent = ev;
    }
    return json(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }
}

function json(status: number, body: unknown): Answer {
  return { status, body: JSON.stringify(body), contentType: 'application/json' };
}

function invalid(errors: string[]): Answer {
  return json(400, { status: 'invalid event', message: 'Event object is invalid', errors });
}

/** The Events API v2 rules. */
export function validate(ev: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof ev.routing_key !== 'string' || ev.routing_key.length !== 32)
    errors.push("'routing_key' must be a 32 character string");
  if (!ACTIONS.includes(String(ev.event_action)))
    errors.push("'event_action' must be trigger, acknowledge or resolve");
  if (
    ev.dedup_key !== undefined &&
    (typeof ev.dedup_key !== 'string' || ev.dedup_key.length > 255 || ev.dedup_key.length === 0)
  ) {
    errors.push("'dedup_key' must be a string of at most 255 characters");
  }
  if (ev.event_action !== 'trigger') {
    if (ev.dedup_key === undefined) errors.push("'dedup_key' is required to acknowledge or resolve");
    return errors;
  }
  const p = ev.payload as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) return [...errors, "'payload' is missing"];
  if (typeof p.summary !== 'string' || p.summary.trim() === '')
    errors.push("'payload.summary' is missing or blank");
  else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
  if (typeof p.source !== 'string' || p.source.trim() === '')
    errors.push("'payload.source' is missing or blank");
  if (!SEVERITIES.includes(String(p.severity)))
    errors.push("'payload.severity' must be critical, error, warning or info");
  if (
    p.timestamp !== undefined &&
    (typeof p.timestamp !== 'string' || !Number.isFinite(Date.parse(p.timestamp)))
  ) {
    errors.push("'payload.timestamp' must be an ISO 8601 timestamp");
  }
  for (const k of ['component', 'group', 'class']) {
    if (p[k] !== undefined && typeof p[k] !== 'string') errors.push(`'payload.${k}' must be a string`);
  }
  if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null)) {
    errors.push("'payload.custom_details' must be an object");
  }
  if (ev.links !== undefined) {
    if (!Array.isArray(ev.links)) errors.push("'links' must be an array");
    else
      ev.links.forEach((l, i) => {
        if (typeof (l as { href?: unknown })?.href !== 'string')
          errors.push(`'links[${i}].href' is required`);
      });
  }
  return errors;
}
