import { describe, expect, it } from 'vitest';
import { ApprovalDesk } from '../approval-desk.js';
import { CollectorMetrics } from '../collector-metrics.js';
import { agentAuthenticator } from '../collector-services.js';
import { resolveCollectorConfig } from '../config.js';
import { createServiceLogger } from '../service-logger.js';
import { approvalRoutes } from './approval-routes.js';
import { bufferedRequest } from './collector-request.js';

const AGENT = 'agent-key-approvals-0001';
const APPROVER = 'approver-key-approvals-01';
const ID = 'a'.repeat(32);

function setup(approverKeys = [APPROVER]) {
  const config = resolveCollectorConfig({ apiKeys: [AGENT], approverKeys }, {});
  const desk = new ApprovalDesk();
  const routes = approvalRoutes({
    config,
    metrics: new CollectorMetrics(),
    log: createServiceLogger('silent'),
    auth: agentAuthenticator(config),
    desk,
    isClosing: () => false,
  });
  return { ...routes, desk };
}

const post = (url: string, key: string, body: unknown) =>
  bufferedRequest({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
const json = (body: string | Buffer) => JSON.parse(String(body)) as Record<string, unknown>;

describe('approvalRoutes without a socket', () => {
  it('an approver answers, the waiting agent gets the answer', async () => {
    const { answer, wait, desk } = setup();
    const waiting = wait(post('/v1/approvals/wait', AGENT, { approvalId: ID, waitMillis: 5_000 }));
    while (desk.size('default').waiting === 0) await new Promise((r) => setTimeout(r, 1));
    const answered = await answer(post('/v1/approvals', APPROVER, { approvalId: ID, decision: 'allow' }));
    expect([answered.status, json(answered.body).waitersReleased]).toEqual([200, 1]);
    const got = await waiting;
    expect(got.status).toBe(200);
    expect(json(got.body)).toMatchObject({ decision: 'allow' });
  });

  it('agent credentials never approve; no approver keys configured is 403 approvals_disabled', async () => {
    const { answer } = setup();
    const byAgent = await answer(post('/v1/approvals', AGENT, { approvalId: ID, decision: 'allow' }));
    expect(byAgent.status).toBe(401);
    const disabled = await setup([]).answer(
      post('/v1/approvals', AGENT, { approvalId: ID, decision: 'allow' }),
    );
    expect([disabled.status, (json(disabled.body).error as { code: string }).code]).toEqual([
      403,
      'approvals_disabled',
    ]);
  });
});
