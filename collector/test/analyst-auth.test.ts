/**
 * The analyst view reads every session of the tenant: with authentication on it accepts analyst credentials
 * only (BULWARK_ANALYST_KEYS, or a JWT whose role claim says analyst). An injected agent with a shell and its
 * own BULWARK_API_KEY gets 403, not other agents' captured content.
 */
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCollectorConfig, type RunningCollector } from '../src/index.js';
import { http, startTestCollector } from './helpers.js';

const AGENT_KEY = 'agent-key-0123456789abcdef';
const ANALYST_KEY = 'analyst-key-0123456789abcdef';
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

describe('analyst view credentials', () => {
  let c: RunningCollector;
  let sign: (claims: JWTPayload) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    sign = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    c = await startTestCollector({ apiKeys: [AGENT_KEY], analystKeys: [ANALYST_KEY], jwks: { keys: [jwk] } });
  });
  afterAll(async () => {
    await c?.close();
  });

  const get = (p: string, headers: Record<string, string> = {}) => http(`${c.url}${p}`, { headers });
  const postHunt = (headers: Record<string, string>) =>
    http(`${c.url}/api/hunt`, {
      method: 'POST',
      body: '{"since":"1h"}',
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('an agent API key gets 403 on every analyst route, with a message naming the analyst key', async () => {
    for (const p of ['/api/report?since=1h', '/api/sessions/s1', '/api/view?since=1h']) {
      const res = await get(p, bearer(AGENT_KEY));
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ error: { code: 'analyst_credentials_required' } });
      expect(res.text).toContain('BULWARK_ANALYST_KEYS');
    }
    const viaHeader = await get('/api/report?since=1h', { 'x-api-key': AGENT_KEY });
    expect(viaHeader.status).toBe(403);
    expect((await postHunt(bearer(AGENT_KEY))).status).toBe(403);
    // The page answers the sign-in page (no data) with the same message.
    const page = await get('/', bearer(AGENT_KEY));
    expect(page.status).toBe(403);
    expect(page.text).toContain('BULWARK_ANALYST_KEYS');
    // An agent JWT (no analyst role) is refused the same way.
    const agentToken = await sign({ tenant: 'acme' });
    expect((await get('/api/report?since=1h', bearer(agentToken))).json).toMatchObject({
      error: { code: 'analyst_credentials_required' },
    });
  });

  it('an analyst key or an analyst token passes (no store here: 503 no_event_store, past authentication)', async () => {
    const res = await get('/api/report?since=1h', bearer(ANALYST_KEY));
    expect(res).toMatchObject({ status: 503, json: { error: { code: 'no_event_store' } } });
    expect((await postHunt(bearer(ANALYST_KEY))).status).toBe(503);
    for (const role of ['analyst', ['reader', 'analyst'], 'openid analyst']) {
      const token = await sign({ tenant: 'acme', bulwark_role: role });
      expect((await get('/api/report?since=1h', bearer(token))).status).toBe(503);
    }
    // The analyst key is not an agent key.
    const verdict = await http(`${c.url}/v1/verdicts`, {
      method: 'POST',
      body: JSON.stringify({ sessionId: 's', toolCall: { toolCallId: 'c', toolName: 't', arguments: {} } }),
      headers: { 'content-type': 'application/json', ...bearer(ANALYST_KEY) },
    });
    expect(verdict.status).toBe(401);
  });

  it('no or wrong credentials: 401', async () => {
    expect((await get('/api/report?since=1h')).status).toBe(401);
    expect((await get('/api/report?since=1h', bearer('wrong-key-0123456789abcdef'))).status).toBe(401);
  });
});

describe('analyst view with auth on and no analyst credentials configured', () => {
  it('refuses agent keys with a message saying to set BULWARK_ANALYST_KEYS', async () => {
    const c = await startTestCollector({ apiKeys: [AGENT_KEY] });
    try {
      const res = await http(`${c.url}/api/report?since=1h`, { headers: bearer(AGENT_KEY) });
      expect(res.status).toBe(403);
      expect(res.text).toContain('BULWARK_ANALYST_KEYS');
    } finally {
      await c.close();
    }
  });

  it('loopback without any keys stays open (past authentication)', async () => {
    const c = await startTestCollector({});
    try {
      expect((await http(`${c.url}/api/report?since=1h`)).status).toBe(503);
    } finally {
      await c.close();
    }
  });
});

describe('analystKeys config', () => {
  it('refuses short keys and keys that are also agent keys', () => {
    const short = loadCollectorConfig({ analystKeys: ['short'] }, {});
    expect(short.ok).toBe(false);
    expect(JSON.stringify(short)).toContain('BULWARK_ANALYST_KEYS');
    const shared = loadCollectorConfig({ apiKeys: [AGENT_KEY], analystKeys: [AGENT_KEY] }, {});
    expect(shared.ok).toBe(false);
    expect(JSON.stringify(shared)).toContain('must not also be an agent API key');
    expect(loadCollectorConfig({ analystKeys: [ANALYST_KEY] }, { BULWARK_ANALYST_KEYS: '' }).ok).toBe(true);
  });
});
