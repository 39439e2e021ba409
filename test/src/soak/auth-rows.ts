import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { approvalId } from '@bulwark/contracts';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { REPO_ROOT } from '../services.js';
import { readEmbedded, type SoakProcess, startServe } from './soak-processes.js';
import { runRow, type SoakRow } from './soak-row.js';
import { otlpJson, settle, toolSpan } from './soak-traffic.js';

const ISSUER = 'https://issuer.soak';
const AUDIENCE = 'bulwark-soak';
const API_KEY = 'soak-agent-key-0123456789abcdef';
const APPROVER_KEY = 'soak-approver-key-0123456789abcdef';
const now = () => Math.floor(Date.now() / 1000);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

const verdict = (sessionId: string) => ({
  sessionId,
  toolCall: { toolCallId: 'c1', toolName: 'send_email', arguments: { to: 'x@example.com' } },
});

/** The auth and tenant-isolation rows, on one `bulwark serve` with JWTs (JWKS file), API keys and approver keys. */
export async function authRows(log: (s: string) => void): Promise<SoakRow[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-soak-auth-'));
  const rows: SoakRow[] = [];
  let serve: SoakProcess | undefined;
  try {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwksFile = path.join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }));
    const sign = (
      claims: JWTPayload,
      o: { kid?: string; iss?: string; aud?: string; iat?: number; exp?: number } = {},
    ) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: o.kid ?? 'k1' })
        .setIssuer(o.iss ?? ISSUER)
        .setAudience(o.aud ?? AUDIENCE)
        .setIssuedAt(o.iat ?? now())
        .setExpirationTime(o.exp ?? now() + 3600)
        .sign(privateKey);
    const dataDir = path.join(dir, 'data');
    serve = await startServe({
      BULWARK_DATA_DIR: dataDir,
      BULWARK_JWKS_FILE: jwksFile,
      BULWARK_JWT_ISSUER: ISSUER,
      BULWARK_JWT_AUDIENCE: AUDIENCE,
      BULWARK_API_KEYS: API_KEY,
      BULWARK_APPROVER_KEYS: APPROVER_KEY,
      BULWARK_TENANT_ID: 'operator',
    });
    const s = serve;
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

    rows.push(
      await runRow(
        'auth',
        'forged and bad credentials',
        'every attempt refused (401/403)',
        60_000,
        async (row) => {
          const pem = await exportSPKI(publicKey);
          const hsWithPublicKey = await new SignJWT({ tenant: 'acme' })
            .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .setIssuedAt()
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode(pem));
          const tenYears = 10 * 365 * 86400;
          const attempts: Record<string, Record<string, string>> = {
            alg_none: bearer(
              `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ tenant: 'acme', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 3600 })}.`,
            ),
            hs256_with_public_key: bearer(hsWithPublicKey),
            expired: bearer(await sign({ tenant: 'acme' }, { iat: now() - 7200, exp: now() - 3600 })),
            nbf_future: bearer(await sign({ tenant: 'acme', nbf: now() + 3600 })),
            lifetime_over_48h: bearer(await sign({ tenant: 'acme' }, { exp: now() + 72 * 3600 })),
            iat_far_future: bearer(
              await sign({ tenant: 'acme' }, { iat: now() + tenYears, exp: now() + tenYears + 3600 }),
            ),
            wrong_issuer: bearer(await sign({ tenant: 'acme' }, { iss: 'https://evil.example' })),
            wrong_audience: bearer(await sign({ tenant: 'acme' }, { aud: 'someone-else' })),
            missing_tenant: bearer(await sign({ sub: 'x' })),
            unknown_kid: bearer(await sign({ tenant: 'acme' }, { kid: 'k2' })),
            nul_in_tenant: bearer(await sign({ tenant: 'acme\u0000s1' })),
            no_credentials: {},
            wrong_api_key: bearer('soak-agent-key-0123456789abcdeX'),
            api_key_in_x_api_key_wrong: { 'x-api-key': 'nope' },
            basic_auth: { authorization: `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}` },
            agent_key_answers_approval: bearer(API_KEY),
          };
          let refused = 0;
          const accepted: string[] = [];
          for (const [name, headers] of Object.entries(attempts)) {
            const res =
              name === 'agent_key_answers_approval'
                ? await postJson(
                    `${s.url}/v1/approvals`,
                    { approvalId: 'a1', tenantId: 'operator', decision: 'allow' },
                    headers,
                  )
                : await postJson(`${s.url}/v1/verdicts`, verdict('s'), headers);
            if (res.status === 401 || res.status === 403) refused++;
            else accepted.push(`${name}:${res.status}`);
          }
          // Controls: a valid token and the API key get in (so refusals are not a broken server).
          const control = [
            (await postJson(`${s.url}/v1/verdicts`, verdict('s'), bearer(await sign({ tenant: 'acme' }))))
              .status,
            (await postJson(`${s.url}/v1/verdicts`, verdict('s'), bearer(API_KEY))).status,
          ];
          Object.assign(row.figures, {
            attempts: Object.keys(attempts).length,
            refused,
            accepted: accepted.length,
            controls_ok: control.filter((c) => c === 200).length,
          });
          if (accepted.length) row.note = `accepted: ${accepted.join(', ')}`;
          row.held = accepted.length === 0 && control.every((c) => c === 200);
        },
      ),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)} ${rows.at(-1)!.note ?? ''}`);

    rows.push(
      await runRow(
        'isolation',
        'tenant A against tenant B',
        'every attempt refused or empty',
        90_000,
        async (row) => {
          const a = bearer(await sign({ tenant: 'tenant-a' }));
          const b = bearer(await sign({ tenant: 'tenant-b' }));
          const secret = `b-secret-${Date.now()}`;
          const spans = Array.from({ length: 5 }, (_, i) =>
            toolSpan(`iso-b-${i}`, {
              session: secret,
              tool: 'read_file',
              args: { path: `${secret}.txt` },
              agent: `${secret}-agent`,
            }),
          );
          const posted = await postJson(`${s.url}/v1/traces`, otlpJson(spans), b);
          const checks: Record<string, boolean> = {};
          checks.b_posted = posted.status === 200;
          const aOnB = await postJson(
            `${s.url}/v1/verdicts`,
            { ...verdict(secret), tenantId: 'tenant-b' },
            a,
          );
          const aFresh = await postJson(`${s.url}/v1/verdicts`, verdict(`fresh-${Date.now()}`), a);
          const strip = (j: unknown) => {
            const v = j as { tenantId?: string; decision?: string; reasons?: unknown[] };
            return JSON.stringify({ t: v?.tenantId, d: v?.decision, r: v?.reasons?.length });
          };
          checks.verdict_for_b_session_is_a_fresh_one =
            aOnB.status === 200 &&
            strip(aOnB.json) === strip(aFresh.json) &&
            !aOnB.text.includes(secret + '.txt');
          // Approvals: the operator answers B's call; A can neither read that answer nor answer B's calls.
          const bId = approvalId({
            tenantId: 'tenant-b',
            sessionId: secret,
            toolCallId: 'c9',
            argumentsHash: 'h',
          });
          const answered = await postJson(
            `${s.url}/v1/approvals`,
            { approvalId: bId, tenantId: 'tenant-b', decision: 'block' },
            bearer(APPROVER_KEY),
          );
          checks.operator_answered = answered.status === 200;
          const aAnswers = await postJson(
            `${s.url}/v1/approvals`,
            { approvalId: bId, tenantId: 'tenant-b', decision: 'allow' },
            a,
          );
          checks.a_cannot_answer = aAnswers.status === 401 || aAnswers.status === 403;
          const aReads = await postJson(`${s.url}/v1/approvals/wait`, { approvalId: bId, waitMillis: 0 }, a);
          checks.a_cannot_read_answer = !(aReads.json as { status?: string })?.status?.startsWith('decided');
          const bReads = await postJson(`${s.url}/v1/approvals/wait`, { approvalId: bId, waitMillis: 0 }, b);
          checks.b_reads_own_answer = (bReads.json as { decision?: string })?.decision === 'block';
          // /metrics names no tenant's session, agent or tool arguments.
          const metrics = await (await fetch(`${s.url}/metrics`)).text();
          checks.metrics_show_no_b_data = !metrics.includes(secret);
          // hunt and report (operator CLIs over the store) for tenant A show none of B's sessions.
          await s.stop();
          serve = undefined;
          const stored = await readEmbedded({ dataDir, idsOf: ['tenant-b'] });
          checks.b_events_stored = (stored.ids['tenant-b']?.size ?? 0) >= 5;
          const cli = (args: string[]) =>
            new Promise<string>((resolve) =>
              execFile(
                process.execPath,
                [
                  ...(import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : []),
                  path.join(
                    REPO_ROOT,
                    import.meta.url.endsWith('.ts') ? 'cli/src/cli.ts' : 'cli/dist/cli.js',
                  ),
                  ...args,
                ],
                {
                  cwd: REPO_ROOT,
                  env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.check.json') },
                  maxBuffer: 64 * 2 ** 20,
                },
                (_e, out, err) => resolve(`${out}${err}`),
              ),
            );
          const hunt = await cli([
            'hunt',
            '--since',
            '1h',
            '--tenant',
            'tenant-a',
            '--data-dir',
            dataDir,
            '--json',
          ]);
          checks.hunt_as_a_shows_no_b = !hunt.includes(secret);
          const huntB = await cli([
            'hunt',
            '--since',
            '1h',
            '--tenant',
            'tenant-b',
            '--data-dir',
            dataDir,
            '--json',
          ]);
          checks.hunt_control_b_scanned = /"sessionsScanned":\s*[1-9]/.test(huntB);
          const report = await cli([
            'report',
            '--since',
            '1h',
            '--tenant',
            'tenant-a',
            '--data-dir',
            dataDir,
            '--out',
            path.join(dir, 'a.html'),
          ]);
          const html = await import('node:fs').then((fs) =>
            fs.existsSync(path.join(dir, 'a.html'))
              ? fs.readFileSync(path.join(dir, 'a.html'), 'utf8')
              : report,
          );
          checks.report_as_a_shows_no_b = !html.includes(secret);
          const failed = Object.entries(checks)
            .filter(([, ok]) => !ok)
            .map(([k]) => k);
          Object.assign(row.figures, {
            checks: Object.keys(checks).length,
            held: Object.keys(checks).length - failed.length,
          });
          if (failed.length) row.note = `failed: ${failed.join(', ')}`;
          row.held = failed.length === 0;
        },
      ),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)} ${rows.at(-1)!.note ?? ''}`);

    rows.push(
      await runRow(
        'auth',
        'IP allow/deny with forged X-Forwarded-For',
        'refused (403)',
        60_000,
        async (row) => {
          const tries: number[] = [];
          const allow = await startServe({
            BULWARK_DATA_DIR: path.join(dir, 'ip1'),
            BULWARK_IP_ALLOW: '10.0.0.0/8',
            BULWARK_ALLOW_UNAUTHENTICATED: 'true',
          });
          try {
            for (const xff of ['10.1.2.3', '10.0.0.1, 127.0.0.1'])
              tries.push(
                (
                  await postJson(`${allow.url}/v1/verdicts`, verdict('s'), {
                    'x-forwarded-for': xff,
                    'x-real-ip': '10.1.2.3',
                    forwarded: 'for=10.1.2.3',
                  })
                ).status,
              );
          } finally {
            await allow.stop();
          }
          const deny = await startServe({
            BULWARK_DATA_DIR: path.join(dir, 'ip2'),
            BULWARK_IP_DENY: '127.0.0.1/32',
            BULWARK_ALLOW_UNAUTHENTICATED: 'true',
          });
          try {
            tries.push(
              (await postJson(`${deny.url}/v1/verdicts`, verdict('s'), { 'x-forwarded-for': '8.8.8.8' }))
                .status,
            );
            tries.push(
              (await fetch(`${deny.url}/healthz`, { headers: { 'x-forwarded-for': '8.8.8.8' } })).status,
            );
          } finally {
            await deny.stop();
          }
          Object.assign(row.figures, {
            attempts: tries.length,
            refused: tries.filter((t) => t === 403).length,
            answers: tries.join(','),
          });
          row.held = tries.every((t) => t === 403);
        },
      ),
    );
    log(`  ${rows.at(-1)!.name}: ${JSON.stringify(rows.at(-1)!.figures)}`);
  } finally {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Hostile strings for ids and names: SQL/ClickHouse metacharacters, placeholders, unicode, 1 MB. */
const HOSTILE = [
  `x'; DROP TABLE events; --`,
  `x"; SELECT * FROM system.users; --`,
  "x\\' OR 1=1 --",
  '{tenantId:String}',
  '`backtick` $1 %s ?',
  'x\\n\\t\\0 not a NUL',
  'ünïcödé 名前 🚀',
  `${'m'.repeat(2 ** 20)}`,
];

/** Store injection: hostile strings in tool names, session, tenant and agent ids, stored verbatim (or refused). */
export function injectionRow(log: (s: string) => void): Promise<SoakRow> {
  return runRow(
    'injection',
    'metacharacters and 1 MB strings in ids and names',
    'stored verbatim or refused (4xx); none altered',
    150_000,
    async (row) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-soak-inject-'));
      let serve: SoakProcess | undefined;
      try {
        serve = await startServe({ BULWARK_DATA_DIR: dataDir, BULWARK_MAX_BODY_BYTES: String(16 * 2 ** 20) });
        const cases: {
          field: string;
          value: string;
          tenant: string;
          session: string;
          tool: string;
          agent: string;
          status?: number;
        }[] = [];
        HOSTILE.forEach((value, i) => {
          const base = { tenant: 'inject', session: `inj-s${i}`, tool: 'read_file', agent: 'agent-1' };
          for (const field of ['tool', 'session', 'tenant', 'agent'] as const)
            cases.push({ ...base, [field]: value, field, value });
        });
        for (const [i, c] of cases.entries()) {
          const res = await fetch(`${serve.url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(
              otlpJson([
                toolSpan(`inj-${i}`, { session: c.session, tenant: c.tenant, tool: c.tool, agent: c.agent }),
              ]),
            ),
          });
          await res.arrayBuffer();
          c.status = res.status;
        }
        const accepted = cases.filter((c) => c.status === 200);
        // Wait until the last accepted event is stored, then read every accepted one back.
        await settle(
          async () => (await fetch(`${serve!.url}/metrics`)).text(),
          (t) =>
            /bulwark_worker_events_total\S* (\d+)/.test(t) &&
            Number(/bulwark_worker_events_total\S* (\d+)/.exec(t)![1]) >= accepted.length,
          30_000,
        );
        await serve.stop();
        serve = undefined;
        const read = await readEmbedded({
          dataDir,
          sessions: accepted.map((c) => ({ tenantId: c.tenant, sessionId: c.session })),
        });
        let verbatim = 0;
        let missing = 0;
        const altered: string[] = [];
        accepted.forEach((c, k) => {
          const events = read.sessions[k] ?? [];
          const ev = events.find(
            (e) =>
              String(e.eventId ?? '').startsWith('inj-') &&
              e.toolName === c.tool &&
              e.sessionId === c.session &&
              e.tenantId === c.tenant,
          );
          if (ev && (c.field !== 'agent' || ev.agentId === c.agent)) verbatim++;
          else if (events.length === 0) missing++;
          else
            altered.push(
              `${c.field}:${JSON.stringify(c.value.slice(0, 16))}${c.value.length > 16 ? `…(${c.value.length})` : ''}`,
            );
        });
        const refused = cases.filter(
          (c) => c.status !== 200 && c.status !== undefined && c.status < 500,
        ).length;
        Object.assign(row.figures, {
          cases: cases.length,
          accepted: accepted.length,
          verbatim,
          refused_4xx: refused,
          missing,
          altered: altered.length,
          errors_5xx: cases.filter((c) => (c.status ?? 0) >= 500).length,
        });
        if (altered.length || missing) row.note = `altered: ${altered.join(', ')}`;
        row.held = altered.length === 0 && missing === 0 && verbatim + refused === cases.length;
        log(`  injection: ${JSON.stringify(row.figures)}`);
      } finally {
        await serve?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
}
