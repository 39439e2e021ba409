import { readFileSync } from 'node:fs';
import { DetectionEngine } from '@bulwark/detectors';
import { describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../collector-metrics.js';
import { agentAuthenticator } from '../collector-services.js';
import { resolveCollectorConfig } from '../config.js';
import { HookRoute } from '../hooks/hook-route.js';
import { createServiceLogger } from '../service-logger.js';
import { bufferedRequest } from './collector-request.js';
import { hookEntry } from './hook-entry.js';

const KEY = 'hook-entry-test-key-000001';
const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/hooks/claude-code/${name}.json`, import.meta.url), 'utf8');

function setup() {
  const config = resolveCollectorConfig({ apiKeys: [KEY] }, {});
  const engine = new DetectionEngine();
  const hooks = new HookRoute({
    backend: {
      decide: async (request) => ({ ok: true, verdict: engine.decide(request).verdict }),
      record: async (events) => {
        for (const e of events) engine.ingest(e);
        return { ok: true };
      },
    },
  });
  const log = createServiceLogger('silent');
  return hookEntry({ config, metrics: new CollectorMetrics(), log, auth: agentAuthenticator(config), hooks });
}

const post = (body: string, headers: Record<string, string>) =>
  bufferedRequest({ method: 'POST', url: '/v1/hooks/claude-code', headers, body });
const decision = (body: string | Buffer) =>
  (JSON.parse(String(body)) as { hookSpecificOutput?: { permissionDecision?: string } }).hookSpecificOutput
    ?.permissionDecision;

describe('hookEntry without a socket', () => {
  it('answers a pre-tool hook in the agent format: allowed with credentials, denied without', async () => {
    const handle = setup();
    const json = { 'content-type': 'application/json' };
    const allowed = await handle(
      post(fixture('2-pre-tool-use-benign'), { ...json, authorization: `Bearer ${KEY}` }),
    );
    expect([allowed.status, decision(allowed.body)]).toEqual([200, 'allow']);
    const denied = await handle(post(fixture('2-pre-tool-use-benign'), json));
    expect(decision(denied.body)).toBe('deny');
  });

  it('answers 405 with Allow for anything but POST', async () => {
    const reply = await setup()(bufferedRequest({ method: 'GET', url: '/v1/hooks/claude-code' }));
    expect([reply.status, reply.headers.allow]).toEqual([405, 'POST']);
  });
});
