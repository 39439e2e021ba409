import { describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../collector-metrics.js';
import { IpFilter } from '../ip-filter.js';
import { Reply } from './collector-reply.js';
import { bufferedRequest } from './collector-request.js';
import { collectorRoutes, routeOf } from './collector-routes.js';

function setup(ipDeny: string[] = []) {
  const called: string[] = [];
  const handler = (name: string) => async () => {
    called.push(name);
    return Reply.json(200, { route: name });
  };
  const names = [
    'traces',
    'verdicts',
    'approvals',
    'approvals_wait',
    'internal_events',
    'healthz',
    'readyz',
    'metrics',
    'analyst',
    'hooks',
  ] as const;
  const handle = collectorRoutes({
    metrics: new CollectorMetrics(),
    ipFilter: new IpFilter([], ipDeny),
    maxConnections: 10,
    handlers: Object.fromEntries(names.map((n) => [n, handler(n)])) as unknown as Parameters<
      typeof collectorRoutes
    >[0]['handlers'],
  });
  return { handle, called };
}

const code = (body: string | Buffer) => (JSON.parse(String(body)) as { error: { code: string } }).error.code;

describe('collectorRoutes without a socket', () => {
  it('routes by path and method; unknown paths are 404, wrong methods 405 with Allow', async () => {
    const { handle, called } = setup();
    const conn = { overLimit: false };
    expect((await handle(bufferedRequest({ method: 'POST', url: '/v1/verdicts' }), conn)).status).toBe(200);
    expect((await handle(bufferedRequest({ method: 'GET', url: '/healthz?x=1' }), conn)).status).toBe(200);
    expect(called).toEqual(['verdicts', 'healthz']);
    const missing = await handle(bufferedRequest({ method: 'GET', url: '/nope' }), conn);
    expect([missing.status, code(missing.body)]).toEqual([404, 'not_found']);
    const wrong = await handle(bufferedRequest({ method: 'GET', url: '/v1/traces' }), conn);
    expect([wrong.status, wrong.headers.allow]).toEqual([405, 'POST']);
    expect(routeOf('/v1/hooks/claude-code')).toBe('hooks');
  });

  it('refuses denied addresses with 403 and connections past the limit with 503, probes excepted', async () => {
    const denied = await setup(['10.0.0.0/8']).handle(
      bufferedRequest({ method: 'GET', url: '/healthz', remoteAddress: '10.1.2.3' }),
      { overLimit: false },
    );
    expect([denied.status, code(denied.body)]).toEqual([403, 'ip_denied']);
    const { handle } = setup();
    const shed = await handle(bufferedRequest({ method: 'POST', url: '/v1/verdicts' }), { overLimit: true });
    expect([shed.status, shed.headers['retry-after'], shed.headers.connection]).toEqual([503, '1', 'close']);
    expect(
      (await handle(bufferedRequest({ method: 'GET', url: '/readyz' }), { overLimit: true })).status,
    ).toBe(200);
  });
});
