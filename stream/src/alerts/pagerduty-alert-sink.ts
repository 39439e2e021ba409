import { type Alert, type Severity, stableHash } from '@bulwark/contracts';
import { type AlertSink, alertHeadline, type SendResult, truncate } from './alert-sink.js';
import { postJson } from './post-json.js';

export interface PagerDutyAlertSinkOptions {
  /** Events API v2 integration key (32 characters): a secret, never logged. */
  routingKey: string;
  /** Default `https://events.pagerduty.com/v2/enqueue`. */
  eventsUrl?: string;
  /** Channel label. Default `pagerduty`. */
  name?: string;
  /** `payload.source`. Default `bulwark`. */
  source?: string;
  /** Default 5 s. */
  timeoutMillis?: number;
  /** Base URL of a console with session pages, sent as a link. */
  consoleUrl?: string;
}

/** Bulwark severity to the four PagerDuty severities. */
export const PAGERDUTY_SEVERITY: Readonly<Record<Severity, 'critical' | 'error' | 'warning' | 'info'>> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

const MAX_FINDINGS = 20;

/** `dedup_key` is limited to 255 characters; longer keys are replaced by a stable hash. */
export function pagerDutyDedupKey(dedupKey: string): string {
  return dedupKey.length <= 255 ? dedupKey : `bulwark-${stableHash(dedupKey).slice(0, 48)}`;
}

/**
 * The Events API v2 event of an alert (`trigger` with payload, or `resolve`).
 *
 * @example
 * const body = JSON.stringify(pagerDutyEvent(alert, { routingKey }));
 */
export function pagerDutyEvent(
  alert: Alert,
  o: { routingKey: string; source?: string; consoleUrl?: string },
): Record<string, unknown> {
  const dedup = pagerDutyDedupKey(alert.dedupKey);
  if (alert.action === 'resolve')
    return { routing_key: o.routingKey, event_action: 'resolve', dedup_key: dedup };
  const event: Record<string, unknown> = {
    routing_key: o.routingKey,
    event_action: 'trigger',
    dedup_key: dedup,
    payload: {
      summary: truncate(alertHeadline(alert), 1024),
      source: o.source ?? 'bulwark',
      severity: PAGERDUTY_SEVERITY[alert.severity],
      timestamp: new Date(alert.lastSeenMillis).toISOString(),
      component: truncate(alert.agentId ?? 'agent', 256),
      group: truncate(alert.tenantId, 256),
      class: truncate(alert.detectorIds.join(',') || 'bulwark', 256),
      custom_details: {
        alert_id: alert.alertId,
        tenant_id: alert.tenantId,
        session_id: alert.sessionId,
        agent_id: alert.agentId ?? null,
        detectors: alert.detectorIds,
        first_seen: new Date(alert.firstSeenMillis).toISOString(),
        summary: truncate(alert.summary, 2000),
        findings: alert.findings.slice(0, MAX_FINDINGS).map((f) => ({
          finding_id: f.findingId,
          detector: f.detectorId,
          severity: f.severity,
          decision: f.decision,
          title: truncate(f.title, 300),
          tool: f.toolName ?? null,
        })),
        more_findings: Math.max(0, alert.findings.length - MAX_FINDINGS),
      },
    },
    client: 'Bulwark',
  };
  if (o.consoleUrl) {
    const href = `${o.consoleUrl.replace(/\/$/, '')}/sessions/${encodeURIComponent(alert.sessionId)}`;
    event.links = [{ href, text: 'Session in Bulwark' }];
    event.client_url = o.consoleUrl;
  }
  return event;
}

/**
 * Sends alerts to PagerDuty's Events API v2. One incident per `dedup_key` (tenant + session): PagerDuty
 * itself folds re-sent triggers into the open alert. 202 is success; 400 is permanent; 429/5xx are retried.
 *
 * @example
 * const pd = new PagerDutyAlertSink({ routingKey: process.env.PD_ROUTING_KEY!, source: 'bulwark-prod' });
 * await pd.send(alert);
 */
export class PagerDutyAlertSink implements AlertSink {
  readonly name: string;
  private readonly o: PagerDutyAlertSinkOptions;

  constructor(options: PagerDutyAlertSinkOptions) {
    this.o = options;
    this.name = options.name ?? 'pagerduty';
  }

  async send(alert: Alert): Promise<SendResult> {
    const event = pagerDutyEvent(alert, {
      routingKey: this.o.routingKey,
      ...(this.o.source ? { source: this.o.source } : {}),
      ...(this.o.consoleUrl ? { consoleUrl: this.o.consoleUrl } : {}),
    });
    const res = await postJson(
      this.o.eventsUrl ?? 'https://events.pagerduty.com/v2/enqueue',
      JSON.stringify(event),
      {
        timeoutMillis: this.o.timeoutMillis ?? 5_000,
        okStatuses: [200, 201, 202],
      },
    );
    if (res.ok) return { ok: true, status: res.status };
    return {
      ok: false,
      retriable: res.retriable,
      status: res.status,
      retryAfterMillis: res.retryAfterMillis,
      message: res.message,
    };
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
