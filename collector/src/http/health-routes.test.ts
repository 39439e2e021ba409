import { InProcessEventBus } from '@bulwark/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../collector-metrics.js';
import { createServiceLogger } from '../service-logger.js';
import { healthRoutes } from './health-routes.js';

const buses: InProcessEventBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.shutdown();
});

function setup(state: { closing?: boolean; workerReady?: boolean } = {}) {
  const bus = new InProcessEventBus({ logger: createServiceLogger('silent') });
  buses.push(bus);
  return healthRoutes({
    bus,
    metrics: new CollectorMetrics(),
    workerReady: () => state.workerReady ?? true,
    isClosing: () => state.closing ?? false,
    verdictsInFlight: () => 3,
    openConnections: () => 7,
  });
}

const json = (body: string | Buffer) => JSON.parse(String(body)) as unknown;

describe('healthRoutes without a socket', () => {
  it('healthz answers ok; readyz answers ready, or 503 with the reason', async () => {
    const state: { closing?: boolean; workerReady?: boolean } = {};
    const routes = setup(state);
    expect(json((await routes.healthz()).body)).toEqual({ status: 'ok' });
    expect((await routes.readyz()).status).toBe(200);
    state.workerReady = false;
    const store = await routes.readyz();
    expect([store.status, json(store.body)]).toEqual([
      503,
      { status: 'not_ready', reason: 'event store not ready' },
    ]);
    state.closing = true;
    expect(json((await routes.readyz()).body)).toEqual({ status: 'not_ready', reason: 'shutting down' });
  });

  it('metrics answers Prometheus text with the scrape-time gauges', async () => {
    const reply = await setup().metrics();
    expect(reply.status).toBe(200);
    expect(String(reply.headers['content-type'])).toMatch(/text\/plain/);
    expect(String(reply.body)).toMatch(/bulwark_collector_open_connections 7/);
  });
});
