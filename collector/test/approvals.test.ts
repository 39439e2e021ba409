/**
 * The approval routes over HTTP in multi-tenant mode (JWT agents, operator approver keys). Regressions from
 * the attack probe: a JWT tenant's agent waited forever because answers were filed under BULWARK_TENANT_ID,
 * and one tenant's flood of waits could evict another tenant's answer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { approvalId } from '@bulwark/contracts';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCollector } from '../src/index.js';
import { postJson, startTestCollector } from './helpers.js';

const APPROVER_KEY = 'approver-key-0123456789abcdef';
const approverAuth = { authorization: `Bearer ${APPROVER_KEY}` };

describe('approvals for JWT tenants', () => {
  let c: RunningCollector;
  let tokenFor: (tenant: string) => Promise<string>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-approvals-'));

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwksFile = path.join(dir, 'jwks.json');
    fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    tokenFor = (tenant) =>
      new SignJWT({ tenant })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    c = await startTestCollector({ jwksFile, approverKeys: [APPROVER_KEY], tenantId: 'operator' });
  });
  afterAll(async () => {
    await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const idFor = (tenantId: string, toolCallId: string) =>
    approvalId({ tenantId, sessionId: 's1', toolCallId, argumentsHash: 'h' });

  it("releases a JWT tenant's waiting agent with the answer that names its tenant", async () => {
    const agent = { authorization: `Bearer ${await tokenFor('acme')}` };
    const id = idFor('acme', 'call-1');
    const waiting = postJson(`${c.url}/v1/approvals/wait`, { approvalId: id, waitMillis: 10_000 }, agent);
    await new Promise((r) => setTimeout(r, 50));
    const answer = await postJson(
      `${c.url}/v1/approvals`,
      { approvalId: id, tenantId: 'acme', decision: 'allow', approver: 'alice' },
      approverAuth,
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: 'recorded', waitersReleased: 1 });
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'decided', decision: 'allow', approver: 'alice' });
    // Another tenant asking for the same id sees nothing.
    const other = { authorization: `Bearer ${await tokenFor('globex')}` };
    const peek = await postJson(`${c.url}/v1/approvals/wait`, { approvalId: id, waitMillis: 0 }, other);
    expect(peek.json).toEqual({ status: 'pending', approvalId: id });
  });

  it("a flood of random waits from one tenant neither evicts another's answer nor lets it flip", async () => {
    const victimId = idFor('acme', 'call-2');
    await postJson(
      `${c.url}/v1/approvals`,
      { approvalId: victimId, tenantId: 'acme', decision: 'block' },
      approverAuth,
    );
    const attacker = { authorization: `Bearer ${await tokenFor('globex')}` };
    // The probe's flood: 10,500 waits with random ids (the old desk kept an entry per id and, past 10,000,
    // evicted the oldest unwaited one: the victim's answer).
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < 10_500) {
          const i = next++;
          const r = await postJson(
            `${c.url}/v1/approvals/wait`,
            { approvalId: i.toString(16).padStart(32, 'f'), waitMillis: 1 },
            attacker,
          );
          statuses.push(r.status);
        }
      }),
    );
    expect(statuses.length).toBe(10_500);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const flip = await postJson(
      `${c.url}/v1/approvals`,
      { approvalId: victimId, tenantId: 'acme', decision: 'allow' },
      approverAuth,
    );
    expect(flip.status).toBe(409);
    const victim = { authorization: `Bearer ${await tokenFor('acme')}` };
    const held = await postJson(
      `${c.url}/v1/approvals/wait`,
      { approvalId: victimId, waitMillis: 0 },
      victim,
    );
    expect(held.json).toMatchObject({ status: 'decided', decision: 'block' });
  });

  it('refuses a tenantId with control characters (NUL separates tenant and key)', async () => {
    const res = await postJson(
      `${c.url}/v1/approvals`,
      { approvalId: idFor('acme', 'x'), tenantId: 'acme\u0000s1', decision: 'allow' },
      approverAuth,
    );
    expect(res.status).toBe(400);
  });
});
