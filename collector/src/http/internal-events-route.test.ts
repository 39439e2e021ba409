import { DetectionEngine } from '@bulwark/detectors';
import { InProcessEventBus } from '@bulwark/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerClient } from '../affinity/peer-client.js';
import { CollectorMetrics } from '../collector-metrics.js';
import { agentAuthenticator } from '../collector-services.js';
import { resolveCollectorConfig } from '../config.js';
import { createServiceLogger } from '../service-logger.js';
import { VerdictService } from '../verdict-service.js';
import { bufferedRequest } from './collector-request.js';
import { internalEventsRoute } from './internal-events-route.js';

const SELF = 'http://127.0.0.1:4318';
const PEER = 'http://127.0.0.1:4319';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup(withPeers: boolean) {
  const config = resolveCollectorConfig(withPeers ? { peers: [SELF, PEER], selfUrl: SELF } : {}, {});
  const logger = createServiceLogger('silent');
  const metrics = new CollectorMetrics();
  const bus = new InProcessEventBus({ logger });
  const peers = withPeers ? new PeerClient(SELF, 250) : undefined;
  cleanups.push(async () => {
    await peers?.close();
    await bus.shutdown();
  });
  const verdicts = new VerdictService(new DetectionEngine(), bus, metrics, logger, {
    sliceMillis: config.ingestSliceMillis,
    maxPendingEvents: config.maxPendingEvents,
  });
  const auth = agentAuthenticator(config);
  return internalEventsRoute({ config, metrics, auth, verdicts, ...(peers ? { peers } : {}) });
}

const events = [
  { kind: 'prompt', eventId: 'e1', sessionId: 's-1', timestampMillis: 1, role: 'user', content: 'hi' },
];
const post = (from?: string) =>
  bufferedRequest({
    method: 'POST',
    url: '/v1/internal/events',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-bulwark-forwarded-by': from } : {}) },
    body: JSON.stringify({ events }),
  });

describe('internalEventsRoute without a socket', () => {
  it('is for configured peers only: 403 not_a_peer otherwise', async () => {
    const code = (b: string | Buffer) => (JSON.parse(String(b)) as { error: { code: string } }).error.code;
    const off = await setup(false)(post(PEER));
    expect([off.status, code(off.body)]).toEqual([403, 'not_a_peer']);
    const stranger = await setup(true)(post('http://10.0.0.9:4318'));
    expect(stranger.status).toBe(403);
  });

  it('applies a peer’s events and says how many', async () => {
    const reply = await setup(true)(post(PEER));
    expect([reply.status, JSON.parse(String(reply.body))]).toEqual([200, { ingested: 1 }]);
  });
});
