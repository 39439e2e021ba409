import { DetectionEngine } from '@bulwark/detectors';
import { InProcessEventBus } from '@bulwark/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionRouter } from '../affinity/session-router.js';
import { CollectorMetrics } from '../collector-metrics.js';
import { agentAuthenticator } from '../collector-services.js';
import { resolveCollectorConfig } from '../config.js';
import { OtlpProto } from '../otlp/otlp-proto.js';
import { TraceIngest } from '../otlp/trace-ingest.js';
import { createServiceLogger } from '../service-logger.js';
import { VerdictService } from '../verdict-service.js';
import { bufferedRequest } from './collector-request.js';
import { tracesRoute } from './traces-route.js';

const buses: InProcessEventBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.shutdown();
});

function setup() {
  const config = resolveCollectorConfig({}, {});
  const logger = createServiceLogger('silent');
  const metrics = new CollectorMetrics();
  const bus = new InProcessEventBus({ logger });
  buses.push(bus);
  const verdicts = new VerdictService(new DetectionEngine(), bus, metrics, logger, {
    sliceMillis: config.ingestSliceMillis,
    maxPendingEvents: config.maxPendingEvents,
  });
  const router = new SessionRouter([], undefined, config.peerDownMillis);
  const ingest = new TraceIngest(
    { defaultTenantId: config.tenantId },
    bus,
    verdicts,
    router,
    undefined,
    metrics,
    logger,
  );
  const handle = tracesRoute({ config, metrics, auth: agentAuthenticator(config), ingest });
  return { handle, bus };
}

const attrs = (a: Record<string, string>) =>
  Object.entries(a).map(([key, v]) => ({ key, value: { stringValue: v } }));
const span = (name: string, attributes: Record<string, string>) => {
  const start = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId: '0123456789abcdef0123456789abcdef',
    spanId: '0123456789abcdef',
    name,
    kind: 1,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 1_000_000n).toString(),
    attributes: attrs(attributes),
  };
};
const exportRequest = (spans: unknown[]) => ({
  resourceSpans: [{ resource: { attributes: attrs({ 'service.name': 'agent' }) }, scopeSpans: [{ spans }] }],
});
const post = (body: string | Buffer, contentType = 'application/json') =>
  bufferedRequest({ method: 'POST', url: '/v1/traces', headers: { 'content-type': contentType }, body });

const prompt = span('chat', {
  'gen_ai.operation.name': 'chat',
  'gen_ai.conversation.id': 's-1',
  'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }]),
});

describe('tracesRoute without a socket', () => {
  it('accepts an OTLP/JSON export and publishes its events', async () => {
    const { handle, bus } = setup();
    const reply = await handle(post(JSON.stringify(exportRequest([prompt]))));
    expect(reply.status).toBe(200);
    expect(JSON.parse(String(reply.body))).toEqual({});
    expect(bus.stats().published).toBeGreaterThan(0);
  });

  it('answers a protobuf export in protobuf', async () => {
    const { handle } = setup();
    const type = OtlpProto.ExportTraceServiceRequest;
    const bytes = Buffer.from(type.encode(type.fromObject(exportRequest([prompt]))).finish());
    const reply = await handle(post(bytes, 'application/x-protobuf'));
    expect([reply.status, reply.headers['content-type']]).toEqual([200, 'application/x-protobuf']);
  });

  it('answers 415 with a google.rpc.Status for an unknown media type, 400 for a body that does not decode', async () => {
    const { handle } = setup();
    const unsupported = await handle(post('x', 'text/plain'));
    expect(unsupported.status).toBe(415);
    expect(JSON.parse(String(unsupported.body))).toMatchObject({ code: 3 });
    const broken = await handle(post('{"resourceSpans": 7}'));
    expect(broken.status).toBe(400);
  });
});
