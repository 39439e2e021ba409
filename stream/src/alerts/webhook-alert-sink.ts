import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Alert } from '@bulwark/contracts';
import type { ApprovalRequest, ApprovalSink, SendResult } from './alert-sink.js';
import { postJson } from './post-json.js';

export interface WebhookAlertSinkOptions {
  url: string;
  /** HMAC-SHA256 key shared with the receiver (at least 16 characters): a secret, never logged. */
  secret: string;
  /** Channel label. Default `webhook`. */
  name?: string;
  /** Default 5 s. */
  timeoutMillis?: number;
  /** Clock for the timestamp header, injectable for tests. */
  now?: () => number;
}

export const WEBHOOK_HEADERS = {
  signature: 'x-bulwark-signature',
  timestamp: 'x-bulwark-timestamp',
  /** Idempotency key: the same alert re-sent (retry, redelivery) carries the same id. */
  delivery: 'x-bulwark-delivery',
} as const;

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, `${timestampSeconds}.${body}`).
 *
 * @example
 * headers['x-bulwark-signature'] = signWebhook(secret, Math.floor(Date.now() / 1000), body);
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * Checks a delivery's signature and freshness (replay protection). For receivers, and for the collector's
 * approval callback.
 *
 * @example
 * const v = verifyWebhookSignature({ secret, body, signature: req.headers['x-bulwark-signature'],
 *   timestamp: req.headers['x-bulwark-timestamp'], nowMillis: Date.now() });
 * if (!v.ok) return reply(401, v.reason);
 */
export function verifyWebhookSignature(input: {
  secret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowMillis: number;
  /** Accepted clock difference. Default 5 minutes. */
  toleranceMillis?: number;
}): { ok: true } | { ok: false; reason: string } {
  if (!input.signature || !input.timestamp)
    return { ok: false, reason: 'missing signature or timestamp header' };
  if (!/^\d+$/.test(input.timestamp)) return { ok: false, reason: 'timestamp is not unix seconds' };
  const ts = Number(input.timestamp);
  if (Math.abs(input.nowMillis - ts * 1000) > (input.toleranceMillis ?? 300_000)) {
    return { ok: false, reason: 'timestamp outside the tolerance (replayed or clock skew)' };
  }
  const expected = Buffer.from(signWebhook(input.secret, ts, input.body));
  const given = Buffer.from(input.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, reason: 'bad signature' };
  return { ok: true };
}

/**
 * Posts alerts (and approval requests) as JSON to any HTTPS endpoint, signed with HMAC-SHA256 over the
 * timestamp and body, with an idempotency header so receivers can drop re-sent copies.
 *
 * Body: `{ type: 'alert', deliveryId, alert }` or `{ type: 'approval_request', deliveryId, approval }`.
 *
 * @example
 * const hook = new WebhookAlertSink({ url: 'https://soc.example.com/bulwark', secret: process.env.HOOK_SECRET! });
 * await hook.send(alert);
 */
export class WebhookAlertSink implements ApprovalSink {
  readonly name: string;
  private readonly o: WebhookAlertSinkOptions;

  constructor(options: WebhookAlertSinkOptions) {
    this.o = options;
    this.name = options.name ?? 'webhook';
  }

  send(alert: Alert): Promise<SendResult> {
    return this.post(alert.alertId, { type: 'alert', deliveryId: alert.alertId, alert });
  }

  sendApproval(request: ApprovalRequest): Promise<SendResult> {
    return this.post(request.approvalId, {
      type: 'approval_request',
      deliveryId: request.approvalId,
      approval: request,
    });
  }

  private async post(deliveryId: string, payload: unknown): Promise<SendResult> {
    const body = JSON.stringify(payload);
    const ts = Math.floor((this.o.now ?? Date.now)() / 1000);
    const res = await postJson(this.o.url, body, {
      timeoutMillis: this.o.timeoutMillis ?? 5_000,
      headers: {
        [WEBHOOK_HEADERS.signature]: signWebhook(this.o.secret, ts, body),
        [WEBHOOK_HEADERS.timestamp]: String(ts),
        [WEBHOOK_HEADERS.delivery]: deliveryId,
      },
    });
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
