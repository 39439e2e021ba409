import type { Alert } from '@bulwark/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertSink } from '../alerts/alert-sink.js';

/** How the contract suite drives one channel: a sink, and the service (a local receiver) it posts to. */
export interface AlertSinkHarness {
  /** Starts the receiver (once, before the tests). */
  start(): Promise<void>;
  /** Stops it (once, after the tests). */
  stop(): Promise<void>;
  /** A sink posting to the receiver; `url` overrides the address (the suite points one at a closed port). */
  sink(url?: string): AlertSink;
  /** Deliveries the receiver accepted (2xx) so far. */
  accepted(): number;
  /** The next `n` requests get this answer instead of the service's own. */
  failNext(n: number, answer: { status: number; body: string; headers?: Record<string, string> }): void;
  /** Back to the service's own answers. */
  recover(): void;
}

/** A minimal alert every channel must carry. */
export function contractAlert(overrides: Partial<Alert> = {}): Alert {
  const now = Date.now();
  return {
    alertId: `alert-${now.toString(36)}`,
    dedupKey: 'acme/s-contract',
    action: 'trigger',
    severity: 'high',
    title: 'Contract alert',
    summary: 'one finding',
    tenantId: 'acme',
    sessionId: 's-contract',
    agentId: 'agent-1',
    detectorIds: ['contract.detector'],
    findings: [
      {
        findingId: 'contract.detector:acme:s-contract:0',
        detectorId: 'contract.detector',
        severity: 'high',
        decision: 'block',
        title: 'Contract finding',
        description: 'a finding for the contract suite',
        tenantId: 'acme',
        sessionId: 's-contract',
        agentId: 'agent-1',
        evidence: [{ eventId: 'e1', field: 'content', excerpt: 'excerpt' }],
        timestampMillis: now,
      },
    ],
    firstSeenMillis: now,
    lastSeenMillis: now,
    ...overrides,
  };
}

/** A URL on which nothing listens (port 9 on loopback: discard, closed on every test machine). */
const CLOSED_URL = 'http://127.0.0.1:9/';

/**
 * The contract every `AlertSink` meets: it delivers triggers and resolves, never throws for a failed
 * delivery but answers a `SendResult` whose `retriable` tells the router what to do (5xx, 429 with its
 * `Retry-After`, no answer: retriable; 4xx: not), and `forceFlush`/`shutdown` resolve.
 *
 * @example
 * describeAlertSinkContract('SlackAlertSink', {
 *   start: () => receiver.start().then(() => {}), stop: () => receiver.close(),
 *   sink: (url) => new SlackAlertSink({ webhookUrl: url ?? receiver.url }),
 *   accepted: () => receiver.accepted().length, failNext: (n, a) => receiver.failNext(n, a), recover: () => receiver.recover(),
 * });
 */
export function describeAlertSinkContract(name: string, harness: AlertSinkHarness): void {
  describe(`AlertSink contract: ${name}`, () => {
    beforeAll(() => harness.start());
    afterAll(() => harness.stop());
    beforeEach(() => harness.recover());

    it('has a channel name and delivers a trigger, then its resolve', async () => {
      const sink = harness.sink();
      expect(sink.name.length).toBeGreaterThan(0);
      const before = harness.accepted();
      const sent = await sink.send(contractAlert());
      expect(sent.ok, JSON.stringify(sent)).toBe(true);
      if (sent.ok) expect(sent.status).toBeGreaterThanOrEqual(200);
      expect((await sink.send(contractAlert({ action: 'resolve' }))).ok).toBe(true);
      expect(harness.accepted()).toBe(before + 2);
      await sink.shutdown();
    });

    it('answers a 5xx as a retriable failure, without throwing', async () => {
      const sink = harness.sink();
      harness.failNext(1, { status: 503, body: 'unavailable' });
      expect(await sink.send(contractAlert())).toMatchObject({ ok: false, retriable: true, status: 503 });
      expect((await sink.send(contractAlert())).ok).toBe(true);
      await sink.shutdown();
    });

    it('answers a 429 as retriable and passes its Retry-After on', async () => {
      const sink = harness.sink();
      harness.failNext(1, { status: 429, body: 'rate limited', headers: { 'retry-after': '7' } });
      expect(await sink.send(contractAlert())).toMatchObject({
        ok: false,
        retriable: true,
        status: 429,
        retryAfterMillis: 7_000,
      });
      await sink.shutdown();
    });

    it('answers a 4xx as a failure not worth retrying', async () => {
      const sink = harness.sink();
      harness.failNext(1, { status: 400, body: 'bad request' });
      const res = await sink.send(contractAlert());
      expect(res).toMatchObject({ ok: false, retriable: false, status: 400 });
      if (!res.ok) expect(res.message.length).toBeGreaterThan(0);
      await sink.shutdown();
    });

    it('answers an unreachable service as retriable (status 0)', async () => {
      const sink = harness.sink(CLOSED_URL);
      expect(await sink.send(contractAlert())).toMatchObject({ ok: false, retriable: true, status: 0 });
      await sink.shutdown();
    });

    it('forceFlush and shutdown resolve, also twice', async () => {
      const sink = harness.sink();
      await sink.forceFlush();
      await sink.shutdown();
      await sink.shutdown();
    });
  });
}
