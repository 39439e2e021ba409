import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChdbEventStore } from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './report.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-report-cli-'));
const dataDir = path.join(dir, 'data');
// Recent on purpose: the store drops rows older than its retention (TTL).
const now = Date.now();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, now: () => now },
  };
}

beforeAll(async () => {
  // A small store: one blocked call with its finding and alert.
  const store = await ChdbEventStore.open({ dataDir });
  const t = now - 3_600_000;
  store.appendEvents([
    {
      kind: 'tool_call',
      eventId: 'e1',
      tenantId: 'acme',
      sessionId: 's1',
      agentId: 'bot',
      agentName: 'travel-agent',
      timestampMillis: t,
      toolCallId: 'c1',
      toolName: 'send_email',
      arguments: { to: 'x@evil.example' },
    },
  ]);
  store.insertVerdicts([
    {
      verdict: {
        decision: 'block',
        reasons: [
          {
            detectorId: 'exfil.sensitive-flow',
            severity: 'high',
            decision: 'block',
            message: 'secret to x',
            evidence: [],
          },
        ],
        detectorIds: ['exfil.sensitive-flow'],
        decisionTimeMicros: 50,
        tenantId: 'acme',
        sessionId: 's1',
        toolCallId: 'c1',
        toolName: 'send_email',
        source: 'engine',
        timestampMillis: t,
      },
      origin: 'inline',
      agentId: 'bot',
    },
  ]);
  const finding = {
    findingId: 'f1',
    detectorId: 'exfil.sensitive-flow',
    severity: 'high' as const,
    decision: 'block' as const,
    title: 'Secret sent out',
    description: '',
    tenantId: 'acme',
    sessionId: 's1',
    evidence: [{ eventId: 'e1', field: 'arguments.to', excerpt: 'x@evil.example' }],
    timestampMillis: t,
  };
  store.insertFindings([finding]);
  store.insertAlerts([
    {
      alertId: 'a1',
      dedupKey: 'acme/s1',
      action: 'trigger',
      severity: 'high',
      title: 'Exfiltration blocked',
      summary: '',
      tenantId: 'acme',
      sessionId: 's1',
      detectorIds: ['exfil.sensitive-flow'],
      findings: [finding],
      firstSeenMillis: t,
      lastSeenMillis: t,
    },
  ]);
  await store.shutdown();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bulwark report', () => {
  it('writes a self-contained HTML report from the chdb store', async () => {
    const file = path.join(dir, 'report.html');
    const c = capture();
    const code = await run(['--data-dir', dataDir, '--since', '24h', '--out', file], c.io);
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
    expect(c.out.join('\n')).toMatch(/wrote .*report\.html \(1 decisions, 1 blocked, 1 open incident/);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('x@evil.example');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false);
    // The incident names the block that happened, shows the agent's name and pivots to its session.
    expect(html).toContain('<span class="title">Blocked send_email (exfil.sensitive-flow)</span>');
    expect(html).toContain('alert <b>Exfiltration blocked</b>');
    expect(html).toContain('travel-agent <span class="mono" style="color:var(--muted)">bot</span>');
    expect(html).toContain('href="#session-acme-s1"');
    expect(html).toMatch(/id="session-acme-s1"[\s\S]*send_email/);
    expect(html).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
  });

  it('--since 2h: 5-minute buckets, not "0-hour"', async () => {
    const file = path.join(dir, 'report-2h.html');
    const c = capture();
    expect(await run(['--data-dir', dataDir, '--since', '2h', '--out', file], c.io)).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('Verdicts per 5-minute bucket');
    expect(html).not.toContain('0-hour');
  });

  it('prints help', async () => {
    const c = capture();
    expect(await run(['--help'], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('usage: bulwark report');
  });

  it('rejects unknown options with usage (exit 2)', async () => {
    const c = capture();
    expect(await run(['--frobnicate'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain("Unknown option '--frobnicate'");
  });

  it('lists every bad argument at once (exit 2)', async () => {
    const c = capture();
    const code = await run(
      [
        '--since',
        'yesterday',
        '--incidents',
        'many',
        '--store',
        'mysql',
        '--out',
        path.join(dir, 'nope', 'r.html'),
      ],
      c.io,
    );
    expect(code).toBe(2);
    const text = c.err.join('\n');
    expect(text).toContain('--since "yesterday" is neither an ISO time');
    expect(text).toContain('--incidents "many"');
    expect(text).toContain('BULWARK_STORE');
    expect(text).toContain(`the directory ${path.join(dir, 'nope')} does not exist`);
  });

  it('refuses a chdb data directory that does not exist instead of reporting an empty store', async () => {
    const c = capture();
    const missing = path.join(dir, 'missing');
    expect(await run(['--data-dir', missing, '--out', path.join(dir, 'r.html')], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain(`no event store: ${missing} does not exist`);
    expect(c.err.join('\n')).toContain('--data-dir');
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(path.join(dir, 'r.html'))).toBe(false);
  });

  it('refuses an existing directory that holds no store, and a database the store lacks', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const c = capture();
    expect(await run(['--data-dir', empty], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain(`${empty} holds no Bulwark event store`);
    expect(existsSync(path.join(empty, 'metadata'))).toBe(false);
    const d = capture();
    expect(await run(['--data-dir', dataDir, '--database', 'typo'], d.io)).toBe(2);
    expect(d.err.join('\n')).toContain('(database "typo")');
  });

  it('refuses a directory as --out', async () => {
    const out = path.join(dir, 'outdir');
    mkdirSync(out, { recursive: true });
    const c = capture();
    expect(await run(['--data-dir', dataDir, '--out', out], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('is a directory');
  });

  it('answers an unreachable ClickHouse server with exit 1 and the reason', async () => {
    const c = capture();
    const code = await run(
      ['--store', 'server', '--clickhouse-url', 'http://127.0.0.1:9', '--out', path.join(dir, 'r.html')],
      { ...c.io, env: { BULWARK_CLICKHOUSE_REQUEST_TIMEOUT_MILLIS: '500' } },
    );
    expect(code).toBe(1);
    expect(c.err.join('\n')).toContain('cannot reach the ClickHouse server at http://127.0.0.1:9');
  }, 60_000);
});
