import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentEvent, Verdict } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/index.js';
import {
  http,
  MARKER,
  otlpRequest,
  postJson,
  promptSpan,
  recordingBus,
  sessionMemoryDetector,
  startTestCollector,
  waitFor,
} from './helpers.js';

const API_KEY = 'test-key-0123456789abcdef';
const verdictBody = (sessionId: string, extra: Record<string, unknown> = {}) => ({
  sessionId,
  toolCall: { toolCallId: 'c1', toolName: 'send_email', arguments: { to: 'x@example.com' } },
  ...extra,
});

describe('API keys', () => {
  let c: RunningCollector;
  beforeAll(async () => {
    c = await startTestCollector({ apiKeys: [API_KEY], tenantId: 'solo' });
  });
  afterAll(async () => c.close());

  it('refuses a request without credentials with 401 and a clear message', async () => {
    const res = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json).toMatchObject({ error: { code: 'missing_credentials' } });
    expect((res.json as { error: { message: string } }).error.message).toMatch(/Authorization: Bearer/);
    const traces = await postJson(`${c.url}/v1/traces`, otlpRequest([]));
    expect(traces.status).toBe(401);
  });

  it('refuses a wrong key with 401', async () => {
    for (const headers of <Record<string, string>[]>[
      { authorization: 'Bearer wrong-key-0123456789abcdef' },
      { 'x-api-key': 'nope' },
      { authorization: 'Basic abc' },
    ]) {
      const res = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), headers);
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error: { code: 'invalid_credentials' } });
    }
  });

  it('accepts the key as a bearer token or x-api-key, with the configured tenant', async () => {
    const a = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), {
      authorization: `Bearer ${API_KEY}`,
    });
    expect(a.status).toBe(200);
    expect((a.json as Verdict).tenantId).toBe('solo');
    const b = await postJson(`${c.url}/v1/verdicts`, verdictBody('s', { tenantId: 'someone-else' }), {
      'x-api-key': API_KEY,
    });
    expect(b.status).toBe(200);
    expect((b.json as Verdict).tenantId).toBe('solo');
  });

  it('leaves the probes open', async () => {
    expect((await http(`${c.url}/healthz`)).status).toBe(200);
    expect((await http(`${c.url}/readyz`)).status).toBe(200);
  });
});

describe('IP allow and deny lists', () => {
  it('refuses a denied address with 403, even on the probes', async () => {
    const c = await startTestCollector({ ipDeny: ['127.0.0.0/8', '::1/128'] });
    try {
      const res = await http(`${c.url}/healthz`);
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ error: { code: 'ip_denied' } });
      expect((res.json as { error: { message: string } }).error.message).toMatch(/deny list/);
    } finally {
      await c.close();
    }
  });

  it('refuses an address outside a non-empty allow list, and lets a listed one in', async () => {
    const outside = await startTestCollector({ ipAllow: ['10.0.0.0/8', 'fd00::/8'] });
    try {
      const res = await postJson(`${outside.url}/v1/verdicts`, verdictBody('s'));
      expect(res.status).toBe(403);
      expect((res.json as { error: { message: string } }).error.message).toMatch(/allow list/);
    } finally {
      await outside.close();
    }
    const inside = await startTestCollector({
      ipAllow: ['10.0.0.0/8', '127.0.0.1'],
      ipDeny: ['192.168.0.0/16'],
    });
    try {
      expect((await postJson(`${inside.url}/v1/verdicts`, verdictBody('s'))).status).toBe(200);
    } finally {
      await inside.close();
    }
  });
});

describe('multi-tenant JWTs', () => {
  let c: RunningCollector;
  let recorded: Awaited<ReturnType<typeof recordingBus>>;
  let sign: (claims: JWTPayload, options?: { noExp?: boolean; noIat?: boolean }) => Promise<string>;
  let signWithOtherKey: (claims: JWTPayload) => Promise<string>;
  const now = () => Math.floor(Date.now() / 1000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-jwks-'));

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwksFile = path.join(dir, 'jwks.json');
    fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    sign = async (claims, options = {}) => {
      let jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('https://issuer.test');
      if (!options.noIat) jwt = jwt.setIssuedAt(claims.iat ?? now());
      if (!options.noExp) jwt = jwt.setExpirationTime(claims.exp ?? now() + 3600);
      return jwt.sign(privateKey);
    };
    const other = await generateKeyPair('ES256');
    signWithOtherKey = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('https://issuer.test')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(other.privateKey);
    recorded = await recordingBus('events');
    c = await startTestCollector({
      jwksFile,
      jwtIssuer: 'https://issuer.test',
      eventBus: recorded.bus,
      engine: new DetectionEngine({ detectors: [sessionMemoryDetector()] }),
    });
  });
  afterAll(async () => {
    await c.close();
    await recorded.bus.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const errorCode = (json: unknown) => (json as { error: { code: string } }).error.code;

  it('accepts a valid token and takes the tenant from the tenant claim', async () => {
    const res = await postJson(
      `${c.url}/v1/verdicts`,
      verdictBody('s'),
      bearer(await sign({ tenant: 'acme' })),
    );
    expect(res.status).toBe(200);
    expect((res.json as Verdict).tenantId).toBe('acme');
  });

  it('refuses an expired token with 401', async () => {
    const t = await sign({ tenant: 'acme', iat: now() - 7200, exp: now() - 3600 });
    const res = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(t));
    expect(res.status).toBe(401);
    expect(errorCode(res.json)).toBe('token_expired');
  });

  it('refuses a token living longer than 48 h, or with no expiry', async () => {
    const long = await sign({ tenant: 'acme', iat: now(), exp: now() + 72 * 3600 });
    const a = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(long));
    expect(a.status).toBe(401);
    expect(errorCode(a.json)).toBe('token_lifetime_too_long');
    const noIat = await sign({ tenant: 'acme', exp: now() + 72 * 3600 }, { noIat: true });
    const b = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(noIat));
    expect(b.status).toBe(401);
    expect(errorCode(b.json)).toBe('token_lifetime_too_long');
    const noExp = await sign({ tenant: 'acme' }, { noExp: true });
    const d = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(noExp));
    expect(d.status).toBe(401);
    expect((d.json as { error: { message: string } }).error.message).toMatch(/exp/);
  });

  it('refuses a token issued in the future or expiring beyond 48 h from now, whatever exp - iat says', async () => {
    const tenYears = 10 * 365 * 24 * 3600;
    // The probe's token: iat ten years ahead, exp one hour after it (exp - iat looks fine).
    const future = await sign({ tenant: 'acme', iat: now() + tenYears, exp: now() + tenYears + 3600 });
    const a = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(future));
    expect(a.status).toBe(401);
    expect(errorCode(a.json)).toBe('token_issued_in_future');
    // iat slightly ahead within clock skew is fine.
    const skewed = await sign({ tenant: 'acme', iat: now() + 30, exp: now() + 3600 });
    expect((await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(skewed))).status).toBe(200);
    // iat in the past, exp - iat under 48 h is impossible with exp > now + 48 h; a back-dated iat with a far
    // exp is refused by exp - now as well.
    const farExp = await sign({ tenant: 'acme', iat: now() - 3600, exp: now() + 49 * 3600 });
    const b = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(farExp));
    expect(b.status).toBe(401);
    expect(errorCode(b.json)).toBe('token_lifetime_too_long');
  });

  it('refuses a tenant claim with control characters (NUL separates tenant and session in keys)', async () => {
    const t = await sign({ tenant: 'acme\u0000other' });
    const res = await postJson(`${c.url}/v1/verdicts`, verdictBody('s'), bearer(t));
    expect(res.status).toBe(403);
    expect(errorCode(res.json)).toBe('invalid_tenant');
  });

  it('refuses a token signed by another key (401) and one naming no tenant (403)', async () => {
    const forged = await postJson(
      `${c.url}/v1/verdicts`,
      verdictBody('s'),
      bearer(await signWithOtherKey({ tenant: 'acme' })),
    );
    expect(forged.status).toBe(401);
    expect(errorCode(forged.json)).toBe('invalid_token');
    const noTenant = await postJson(
      `${c.url}/v1/verdicts`,
      verdictBody('s'),
      bearer(await sign({ sub: 'someone' })),
    );
    expect(noTenant.status).toBe(403);
    expect(errorCode(noTenant.json)).toBe('no_tenant');
  });

  it('keeps tenants apart: another tenant neither sees nor influences a session', async () => {
    const acme = bearer(await sign({ tenant: 'acme' }));
    const beta = bearer(await sign({ tenant: 'beta' }));
    const session = `shared-${Date.now()}`;

    // acme exports a prompt carrying the marker, with a span that claims to be beta's.
    const exported = await postJson(
      `${c.url}/v1/traces`,
      otlpRequest([promptSpan(session, `please ${MARKER} now`, { 'bulwark.tenant.id': 'beta' })]),
      acme,
    );
    expect(exported.status).toBe(200);
    const mine = () =>
      recorded.records.map((r) => r.value as AgentEvent).filter((e) => e.sessionId === session);
    await waitFor(() => mine().length >= 1, 5_000, 'exported event on the bus');
    // The authenticated tenant overrides the span's claim.
    expect(mine().every((e) => e.tenantId === 'acme')).toBe(true);

    // acme's own session history drives acme's verdict...
    const acmeVerdict = await postJson(`${c.url}/v1/verdicts`, verdictBody(session), acme);
    expect((acmeVerdict.json as Verdict).decision).toBe('block');

    // ...beta asking about the same session id, even naming acme in the body, sees nothing of it.
    const betaVerdict = await postJson(
      `${c.url}/v1/verdicts`,
      verdictBody(session, { tenantId: 'acme' }),
      beta,
    );
    expect(betaVerdict.status).toBe(200);
    expect(betaVerdict.json).toMatchObject({ tenantId: 'beta', decision: 'allow', reasons: [] });

    // beta cannot write into acme's sessions either: events it sends land in beta's own session.
    const other = `acme-only-${Date.now()}`;
    const injected: AgentEvent = {
      kind: 'prompt',
      eventId: `inj-${Date.now()}`,
      tenantId: 'acme',
      sessionId: other,
      timestampMillis: Date.now(),
      role: 'user',
      content: MARKER,
    };
    const betaWrite = await postJson(
      `${c.url}/v1/verdicts`,
      verdictBody(other, { events: [injected] }),
      beta,
    );
    expect((betaWrite.json as Verdict).decision).toBe('block'); // beta's own session now has the marker
    const acmeOther = await postJson(`${c.url}/v1/verdicts`, verdictBody(other), acme);
    expect(acmeOther.json).toMatchObject({ tenantId: 'acme', decision: 'allow', reasons: [] });
  });
});
