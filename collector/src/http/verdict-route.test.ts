import type { EventBus } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { InProcessEventBus } from '@bulwark/stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionRouter } from '../affinity/session-router.js';
import { CollectorMetrics } from '../collector-metrics.js';
import { agentAuthenticator } from '../collector-services.js';
import { resolveCollectorConfig } from '../config.js';
import { createServiceLogger } from '../service-logger.js';
import { TenantWorkQueue } from '../tenant-work-queue.js';
import { VerdictService } from '../verdict-service.js';
import { bufferedRequest } from './collector-request.js';
import { verdictRoute } from './verdict-route.js';

const KEY = 'verdict-route-test-key-0001';
const buses: InProcessEventBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.shutdown();
});

function setup(overrides: Record<string, unknown> = {}, wrapBus: (bus: EventBus) => EventBus = (b) => b) {
  const config = resolveCollectorConfig({ apiKeys: [KEY], ...overrides }, {});
  const logger = createServiceLogger('silent');
  const metrics = new CollectorMetrics();
  const bus = new InProcessEventBus({ logger });
  buses.push(bus);
  const verdicts = new VerdictService(new DetectionEngine(), wrapBus(bus), metrics, logger, {
    sliceMillis: config.ingestSliceMillis,
    maxPendingEvents: config.maxPendingEvents,
  });
  const queue = new TenantWorkQueue({
    maxPerTenant: config.maxQueuedVerdictsPerTenant,
    maxTotal: config.maxInFlightVerdicts,
    queueTimeoutMillis: config.verdictQueueTimeoutMillis,
  });
  const handle = verdictRoute({
    config,
    metrics,
    log: logger,
    auth: agentAuthenticator(config),
    verdicts,
    queue,
    router: new SessionRouter([], undefined, config.peerDownMillis),
  });
  return { handle, metrics, bus };
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  bufferedRequest({
    method: 'POST',
    url: '/v1/verdicts',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const request = {
  sessionId: 's-1',
  toolCall: { toolCallId: 'c-1', toolName: 'read_file', arguments: { path: 'README.md' } },
};

describe('verdictRoute without a socket', () => {
  it('answers a valid request with a verdict and records it on the bus', async () => {
    const { handle, bus } = setup();
    const reply = await handle(post(request));
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/application\/json/);
    const verdict = JSON.parse(String(reply.body)) as { decision: string; sessionId?: string };
    expect(verdict.decision).toBe('allow');
    expect(bus.stats().published).toBeGreaterThan(0);
  });

  it('refuses a caller without credentials with 401 and a Bearer challenge', async () => {
    const { handle, metrics } = setup();
    const reply = await handle(post(request, { authorization: 'Bearer nope-nope-nope-nope' }));
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer');
    expect(await metrics.registry.getSingleMetricAsString('bulwark_collector_auth_failures_total')).toMatch(
      /code="/,
    );
  });

  it('answers 415 for a non-JSON body, 400 invalid_json and invalid_request for bad ones', async () => {
    const { handle } = setup();
    expect((await handle(post(request, { 'content-type': 'text/plain' }))).status).toBe(415);
    const notJson = await handle(post('{'));
    expect([notJson.status, JSON.parse(String(notJson.body)).error.code]).toEqual([400, 'invalid_json']);
    const invalid = await handle(post({ sessionId: 's-1' }));
    expect([invalid.status, JSON.parse(String(invalid.body)).error.code]).toEqual([400, 'invalid_request']);
  });

  it('bounds the request: too many events is 413, a body over maxBodyBytes is 413 body_too_large', async () => {
    const { handle } = setup({ maxVerdictEvents: 1, maxBodyBytes: 4096 });
    const events = [1, 2].map((i) => ({ kind: 'prompt', eventId: `e${i}`, sessionId: 's-1', content: 'hi' }));
    const many = await handle(post({ ...request, events }));
    expect([many.status, JSON.parse(String(many.body)).error.code]).toEqual([413, 'too_many_events']);
    const big = await handle(
      post({ ...request, toolCall: { ...request.toolCall, arguments: { x: 'y'.repeat(5000) } } }),
    );
    expect([big.status, JSON.parse(String(big.body)).error.code]).toEqual([413, 'body_too_large']);
  });

  it("decides a tenant's next verdict while the previous one waits for the bus, and counts both until answered", async () => {
    // A bus that acknowledges only when told (as a WAL's fsync or Kafka's ack does, later).
    const gate: (() => void)[] = [];
    let held = true;
    const topics: string[] = [];
    const { handle } = setup({ maxQueuedVerdictsPerTenant: 2 }, (bus) => ({
      ...bus,
      publish: (topic, records) => {
        topics.push(topic);
        const res = bus.publish(topic, records);
        return held ? new Promise((resolve) => gate.push(() => resolve(res))) : res;
      },
    }));
    const ask = (id: string) =>
      handle(post({ ...request, toolCall: { ...request.toolCall, toolCallId: id } }));
    const first = ask('c-1');
    const second = ask('c-2');
    // Both decided and their verdicts handed to the bus before it acknowledged either.
    await vi.waitFor(() => expect(topics).toEqual(['verdicts', 'verdicts']));
    const third = await ask('c-3');
    expect([third.status, JSON.parse(String(third.body)).error.code]).toEqual([429, 'tenant_busy']);
    held = false;
    for (const open of gate.splice(0)) open();
    const answers = await Promise.all([first, second]);
    expect(answers.map((r) => [r.status, JSON.parse(String(r.body)).toolCallId])).toEqual([
      [200, 'c-1'],
      [200, 'c-2'],
    ]);
    // The places are free again.
    expect((await ask('c-4')).status).toBe(200);
  });
});
