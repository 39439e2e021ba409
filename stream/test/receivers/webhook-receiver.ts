import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Answer, HttpReceiver } from './http-receiver.js';

/**
 * A customer endpoint for Bulwark's signed webhooks. Verifies, independently of the sink's code, the
 * `X-Bulwark-Signature: sha256=<hex>` HMAC over `<timestamp>.<body>` and the `X-Bulwark-Timestamp`
 * freshness (5 minutes: replay protection), then acknowledges each delivery id once (a re-sent copy is
 * answered 200 but not counted again), like a well-behaved webhook consumer.
 */
export class WebhookReceiver extends HttpReceiver {
  /** Deliveries by `X-Bulwark-Delivery`, first copy only. */
  readonly deliveries = new Map<string, { type: string; body: Record<string, unknown> }>();
  /** Copies received for each delivery id (re-sends included). */
  readonly copies = new Map<string, number>();

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  protected handle(req: { method: string; headers: Record<string, string>; body: string }): Answer {
    if (req.method !== 'POST') return { status: 405, body: 'method not allowed' };
    const ts = req.headers['x-bulwark-timestamp'];
    const sig = req.headers['x-bulwark-signature'];
    const id = req.headers['x-bulwark-delivery'];
    if (!ts || !sig || !id) return { status: 400, body: 'missing signature, timestamp or delivery header' };
    if (!/^\d+$/.test(ts) || Math.abs(this.now() - Number(ts) * 1000) > 300_000)
      return { status: 401, body: 'stale timestamp' };
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', this.secret).update(`${ts}.${req.body}`).digest('hex')}`,
    );
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { status: 401, body: 'bad signature' };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      return { status: 400, body: 'not JSON' };
    }
    if (typeof body.type !== 'string' || body.deliveryId !== id) return { status: 400, body: 'bad envelope' };
    this.copies.set(id, (this.copies.get(id) ?? 0) + 1);
    if (!this.deliveries.has(id)) this.deliveries.set(id, { type: body.type, body });
    return { status: 200, body: '{"received":true}', contentType: 'application/json' };
  }

  /** Alerts received (first copies), in arrival order. */
  alerts(): Record<string, unknown>[] {
    return [...this.deliveries.values()]
      .filter((d) => d.type === 'alert')
      .map((d) => d.body.alert as Record<string, unknown>);
  }
}
