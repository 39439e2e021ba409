import type { Alert, Reason } from '@bulwark/contracts';

/** Outcome of one delivery, as a value. `retriable`: trying again later may succeed (429, 5xx, no answer). */
export type SendResult =
  | { ok: true; status: number }
  | { ok: false; retriable: boolean; status: number; retryAfterMillis?: number | undefined; message: string };

/**
 * One alert channel (Slack, PagerDuty, a signed webhook). `send` never throws for delivery failures: it
 * answers a `SendResult`; the `AlertRouter` retries and dead-letters.
 *
 * @example
 * const res = await sink.send(alert);
 * if (!res.ok && res.retriable) scheduleRetry(res.retryAfterMillis);
 */
export interface AlertSink {
  /** Channel label used in routing, metrics and dead letters (`slack:secops`). */
  readonly name: string;
  send(alert: Alert): Promise<SendResult>;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * A `require_approval` verdict waiting for a human. The approver answers the collector (see the stream
 * README, "Approvals"), bound to `argumentsHash` so an approval cannot be replayed for other arguments.
 */
export interface ApprovalRequest {
  approvalId: string;
  tenantId: string;
  sessionId: string;
  agentId?: string | undefined;
  toolCallId: string;
  toolName: string;
  argumentsHash: string;
  reasons: Reason[];
  requestedAtMillis: number;
  /** After this the collector answers the waiting agent with the configured timeout decision (block). */
  expiresAtMillis: number;
  /** Where the approver posts `{approvalId, decision: 'allow'|'block', approver}` (collector endpoint). */
  callbackUrl?: string | undefined;
}

/** A channel that can also carry approval requests (the webhook sink). */
export interface ApprovalSink extends AlertSink {
  sendApproval(request: ApprovalRequest): Promise<SendResult>;
}

export function isApprovalSink(sink: AlertSink): sink is ApprovalSink {
  return typeof (sink as Partial<ApprovalSink>).sendApproval === 'function';
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * One line for humans: `[HIGH] title - tenant t, session s (2 findings: a, b)`.
 *
 * @example
 * logger.info({ alertId: alert.alertId }, alertHeadline(alert));
 */
export function alertHeadline(alert: Alert): string {
  const n = alert.findings.length;
  const detectors = alert.detectorIds.length > 0 ? `: ${alert.detectorIds.join(', ')}` : '';
  const prefix = alert.action === 'resolve' ? 'RESOLVED' : alert.severity.toUpperCase();
  return `[${prefix}] ${alert.title} - tenant ${alert.tenantId}, session ${alert.sessionId} (${n} finding${n === 1 ? '' : 's'}${detectors})`;
}
