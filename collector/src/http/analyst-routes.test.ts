import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChdbEventStore } from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthResult } from '../authenticator.js';
import { ANALYST_CSP, type AnalystRequest, AnalystRoutes } from './analyst-routes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-analyst-'));
const now = Date.now();
const t = now - 600_000;
let store: ChdbEventStore;
let routes: AnalystRoutes;

const open: AuthResult = { ok: true, principal: { tenantId: undefined, method: 'none' } };
const jwtAcme: AuthResult = { ok: true, principal: { tenantId: 'acme', method: 'jwt', subject: 'a' } };
const refused: AuthResult = {
  ok: false,
  status: 401,
  code: 'unauthenticated',
  message: 'credentials required',
};

const get = (p: string, auth: AuthResult = open, method = 'GET', body?: unknown) => {
  const u = new URL(p, 'http://x');
  const req: AnalystRequest = { method, path: u.pathname, query: u.searchParams, auth };
  if (body !== undefined) req.body = body;
  return routes.handle(req);
};

function seed(tenantId: string, sessionId: string, agentName: string, excerpt: string) {
  const finding = {
    findingId: `f-${sessionId}`,
    detectorId: 'exfil.sensitive-flow',
    severity: 'high' as const,
    decision: 'block' as const,
    title: 'Secret sent out',
    description: '',
    tenantId,
    sessionId,
    toolName: 'send_email',
    evidence: [{ eventId: `e-${sessionId}`, field: 'arguments.to', excerpt }],
    timestampMillis: t,
  };
  store.appendEvents([
    {
      kind: 'tool_call',
      eventId: `e-${sessionId}`,
      tenantId,
      sessionId,
      agentName,
      timestampMillis: t,
      toolCallId: 'c1',
      toolName: 'send_email',
      arguments: { to: excerpt },
    },
    {
      kind: 'tool_call',
      eventId: `e2-${sessionId}`,
      tenantId,
      sessionId,
      agentName,
      timestampMillis: t + 1,
      toolCallId: 'c2',
      toolName: 'get_balance',
      arguments: {},
      enforced: { decision: 'block', source: 'fallback_timeout' },
    },
  ]);
  store.insertVerdicts([
    {
      verdict: {
        decision: 'block',
        reasons: [],
        detectorIds: ['exfil.sensitive-flow'],
        decisionTimeMicros: 50,
        tenantId,
        sessionId,
        toolCallId: 'c1',
        toolName: 'send_email',
        source: 'engine',
        timestampMillis: t,
      },
      origin: 'inline',
    },
  ]);
  store.insertFindings([finding]);
  store.insertAlerts([
    {
      alertId: `a-${sessionId}`,
      dedupKey: `${tenantId}/${sessionId}`,
      action: 'trigger',
      severity: 'high',
      title: 'Exfiltration blocked',
      summary: '',
      tenantId,
      sessionId,
      detectorIds: ['exfil.sensitive-flow'],
      findings: [finding],
      firstSeenMillis: t,
      lastSeenMillis: t,
    },
  ]);
}

beforeAll(async () => {
  store = await ChdbEventStore.open({ dataDir: path.join(dir, 'data') });
  seed('acme', 's-acme', 'travel-agent', '<img src=x onerror=alert(1)>@evil.example');
  seed('globex', 's-globex', 'hr-agent', 'y@evil.example');
  await store.forceFlush();
  routes = new AnalystRoutes({ store, now: () => now });
});
afterAll(async () => {
  await store.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('AnalystRoutes', () => {
  it('GET / answers the live page: report content, CSP, own script, every value escaped', async () => {
    const res = await get('/?since=1h');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(ANALYST_CSP);
    expect(res.body).toMatch(/^<!doctype html>/);
    expect(res.body).toContain('<script src="/analyst.js" defer></script>');
    expect(res.body).not.toMatch(/<script>|(src|href)="https?:/);
    expect(res.body).toContain('Blocked send_email (exfil.sensitive-flow)');
    expect(res.body).not.toContain('<img src=x');
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The incident pivots to the session view, not an in-page anchor.
    expect(res.body).toContain('href="/sessions/s-acme?since=1h&amp;tenant=acme"');
    expect(res.body).toContain('hr-agent');
  });

  it('filters: tenant, agent and severity narrow the lists; a bad filter is a 400 with what to do', async () => {
    const acme = await get('/api/report?since=1h&tenant=acme');
    const data = JSON.parse(acme.body).data;
    expect(data.incidentIndex.map((i: { sessionId: string }) => i.sessionId)).toEqual(['s-acme']);
    const byAgent = JSON.parse((await get('/api/report?since=1h&agent=hr-agent')).body).data;
    expect(byAgent.incidentIndex.map((i: { sessionId: string }) => i.sessionId)).toEqual(['s-globex']);
    // Calls refused without a verdict narrow by agent too.
    expect(byAgent.refusedCalls.map((c: { sessionId: string }) => c.sessionId)).toEqual(['s-globex']);
    const critical = JSON.parse((await get('/api/report?since=1h&severity=critical')).body).data;
    expect(critical.incidentIndex).toEqual([]);
    const bad = await get('/api/report?since=yesterday');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.message).toMatch(/since "yesterday" is neither an ISO time/);
    expect((await get('/api/report?severity=urgent')).status).toBe(400);
  });

  it('a JWT tenant sees only its own tenant, and may not ask for another', async () => {
    const page = await get('/?since=1h', jwtAcme);
    expect(page.body).toContain('s-acme');
    expect(page.body).not.toContain('s-globex');
    expect(page.body).toMatch(/name="tenant" value="acme" [^>]*readonly/);
    const other = await get('/api/report?tenant=globex', jwtAcme);
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body).error.code).toBe('tenant_forbidden');
    const hunt = await get('/api/hunt', jwtAcme, 'POST', { since: '1h', tenant: 'globex' });
    expect(hunt.status).toBe(403);
  });

  it('without credentials: pages answer a sign-in page with no data, the JSON API a 401', async () => {
    const page = await get('/?since=1h', refused);
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('id="signin"');
    expect(page.body).not.toContain('s-acme');
    const api = await get('/api/report', refused);
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body).error.code).toBe('unauthenticated');
    // The script holds no data and loads without credentials.
    expect((await get('/analyst.js', refused)).status).toBe(200);
  });

  it('agent credentials (refused by the collector with 403): sign-in page saying to use an analyst key, no data', async () => {
    const agent: AuthResult = {
      ok: false,
      status: 403,
      code: 'analyst_credentials_required',
      message: 'agent credentials cannot read the analyst view: use an analyst key (BULWARK_ANALYST_KEYS)',
    };
    const page = await get('/?since=1h', agent);
    expect(page.status).toBe(403);
    expect(page.body).toContain('id="signin"');
    expect(page.body).toContain('BULWARK_ANALYST_KEYS');
    expect(page.body).not.toContain('s-acme');
    for (const p of ['/api/report?since=1h', '/api/sessions/s-acme', '/sessions/s-acme']) {
      const res = await get(p, agent);
      expect(res.status).toBe(403);
      expect(res.body).not.toContain('evil.example');
    }
    const hunt = await get('/api/hunt', agent, 'POST', { since: '1h' });
    expect(hunt.status).toBe(403);
    expect(JSON.parse(hunt.body).error.code).toBe('analyst_credentials_required');
  });

  it('session view: timeline of events and verdicts, and the evidence', async () => {
    const res = await get('/sessions/s-acme?tenant=acme&since=1h');
    expect(res.status).toBe(200);
    expect(res.body).toContain('id="timeline"');
    expect(res.body).toMatch(/tool call<\/td><td class="mono">send_email/);
    expect(res.body).toMatch(/verdict <span class="badge"[^>]*>block<\/span>/);
    expect(res.body).toContain('id="evidence"');
    expect(res.body).toContain('tool call · enforced block (fallback timeout)');
    expect(res.body).toContain('1 call(s) refused without a verdict');
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;@evil.example');
    const api = JSON.parse((await get('/api/sessions/s-acme?tenant=acme')).body);
    expect(api.verdicts[0].verdict.decision).toBe('block');
    expect(api.findings[0].findingId).toBe('f-s-acme');
    expect(api.agentName).toBe('travel-agent');
    const view = JSON.parse((await get('/api/view/sessions/s-acme?tenant=acme')).body);
    expect(view.html).toContain('id="session-view"');
  });

  it('lists the calls refused without a verdict, pivoting to the session view; marks after-the-fact verdicts', async () => {
    const page = await get('/?since=1h');
    const section = page.body.slice(page.body.indexOf('id="refused-calls"'));
    expect(section).toContain('fallback: timeout');
    expect(section).toContain('href="/sessions/s-globex?since=1h&amp;tenant=globex"');
    expect(page.body).toMatch(/id="kpi-refused"[\s\S]*?<div class="value">2<\/div>/);
    const verdict = (toolCallId: string, decision: 'allow' | 'block', at: number) => ({
      decision,
      reasons: [],
      detectorIds: decision === 'block' ? ['injection.chain'] : [],
      decisionTimeMicros: 50,
      tenantId: 'globex',
      sessionId: 's-globex',
      toolCallId,
      toolName: 'send_money',
      source: 'engine' as const,
      timestampMillis: at,
    });
    store.insertVerdicts([
      { verdict: verdict('c3', 'allow', t + 2), origin: 'inline' },
      { verdict: verdict('c3', 'block', t + 3), origin: 'stream' },
    ]);
    await store.forceFlush();
    const view = await get('/sessions/s-globex?tenant=globex&since=1h');
    expect(view.body).toContain(
      'after the fact</span> <span class="badge late">executed · would have been blocked',
    );
    // The inline block on c1 is not marked.
    expect(view.body.match(/badge late/g)).toHaveLength(1);
  });

  it('POST /api/hunt runs the retro-hunt on the store; wrong method and bad body are answered', async () => {
    const res = await get('/api/hunt', open, 'POST', { since: '1h' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).report.sessionsScanned).toBe(2);
    expect((await get('/api/hunt', open, 'GET')).status).toBe(405);
    expect((await get('/api/hunt', open, 'POST', { since: 5 })).status).toBe(400);
    expect((await get('/api/hunt', open, 'POST', { since: '1h', policy: 'nope: [' })).status).toBe(400);
  });

  it('a collector without a store answers 503 with what to do', async () => {
    const none = new AnalystRoutes({ store: undefined });
    const u = new URL('http://x/api/report');
    const res = await none.handle({ method: 'GET', path: u.pathname, query: u.searchParams, auth: open });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).error.code).toBe('no_event_store');
  });
});
