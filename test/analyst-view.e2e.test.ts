/**
 * The analyst view in the default mode: `bulwark serve` on its embedded (chdb) store answers a live HTML page
 * at `/`, and `bulwark report` and `bulwark hunt` run while it holds the store (through its API) and exit 0.
 * The page is loaded in headless Chromium on real data (an injection chain sent through serve): DOM
 * assertions and a screenshot under test/artifacts/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHunt as hunt, SERVE_LOCK_FILE } from '@bulwark/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INJECTED_NOTICE } from '../stream/test/fixtures/sample-records.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
// Children run the sources (workspace imports resolved to src/, as in vitest), not a possibly stale dist.
const FROM_SOURCE = ['--import', 'tsx', '--import', './test/src/from-source/register.mjs'];
const CHROMIUM = process.env.BULWARK_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(REPO, 'test', 'artifacts');
const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-analyst-e2e-'));
const dataDir = path.join(dir, 'data');

let serve: { url: string; child: ChildProcess; output: () => string; exited: Promise<number | null> };

function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...FROM_SOURCE, 'cli/src/cli.ts', ...args], {
    cwd: REPO,
    env: { ...process.env, BULWARK_DATA_DIR: dataDir, BULWARK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => {
    stdout += c;
  });
  child.stderr!.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

function run(cmd: string, args: string[], timeoutMillis = 60_000) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += c;
  });
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMillis);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const at = (offsetMillis: number) => Date.now() - 60_000 + offsetMillis;

beforeAll(async () => {
  mkdirSync(dataDir);
  const s = cli(['serve', '--port', '0'], {
    BULWARK_HOST: '127.0.0.1',
    BULWARK_STORE_FLUSH_INTERVAL_MILLIS: '100',
  });
  const output = () => s.stdout() + s.stderr();
  const deadline = Date.now() + 90_000;
  while (!/listening on (http:\/\/\S+) /.test(s.stdout())) {
    if (Date.now() > deadline || s.child.exitCode !== null)
      throw new Error(`serve did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  serve = {
    url: /listening on (http:\/\/\S+) /.exec(s.stdout())![1]!,
    child: s.child,
    output,
    exited: s.exited,
  };

  // An injection chain through serve's verdict API: the injected tool result, then the call it asks for.
  const session = { tenantId: 'acme', sessionId: 'chain-1', agentName: 'banking-agent' };
  const res = await fetch(`${serve.url}/v1/verdicts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      ...session,
      toolCall: {
        toolCallId: 'c2',
        toolName: 'send_money',
        arguments: { recipient: 'US133000000121212121212', amount: 0.01, subject: 'phone model' },
      },
      events: [
        {
          ...session,
          kind: 'prompt',
          eventId: 'p1',
          role: 'user',
          content: 'Summarize the file notices.txt for me.',
          timestampMillis: at(0),
        },
        {
          ...session,
          kind: 'tool_call',
          eventId: 't1',
          toolCallId: 'c1',
          toolName: 'read_file',
          arguments: { path: 'notices.txt' },
          timestampMillis: at(1_000),
        },
        {
          ...session,
          kind: 'tool_result',
          eventId: 'r1',
          toolCallId: 'c1',
          toolName: 'read_file',
          content: INJECTED_NOTICE,
          timestampMillis: at(2_000),
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { decision: string }).decision).toBe('block');

  // Stored and turned into an incident by the worker (batched, so wait for it).
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${serve.url}/api/report?since=1h`);
    if (r.ok) {
      const { data } = (await r.json()) as {
        data: { incidentIndex: unknown[]; totals: { blocked: number } };
      };
      if (data.incidentIndex.length > 0 && data.totals.blocked > 0) break;
    }
    if (Date.now() > until) throw new Error(`no incident stored:\n${serve.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 150_000);

afterAll(async () => {
  if (serve?.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('bulwark serve on its embedded store: the analyst view', () => {
  it('GET / answers the live HTML page, and bulwark report and bulwark hunt run at the same time and exit 0', async () => {
    expect(existsSync(path.join(dataDir, SERVE_LOCK_FILE))).toBe(true);
    const reportFile = path.join(dir, 'report.html');
    const report = cli(['report', '--since', '1h', '--out', reportFile]);
    const huntRun = cli(['hunt', '--since', '1h']);
    const page = await fetch(`${serve.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Blocked send_money');

    const [reportCode, huntCode] = await Promise.all([report.exited, huntRun.exited]);
    expect({ code: reportCode, stderr: report.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(report.stdout()).toMatch(
      /wrote .*report\.html \(\d+ decisions, 1 blocked, 1 open incident.* through bulwark serve at http/,
    );
    expect(readFileSync(reportFile, 'utf8')).toContain('Blocked send_money');
    expect({ code: huntCode, stderr: huntRun.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(huntRun.stdout()).toMatch(
      /1 session\(s\) active since[\s\S]*acme \/ chain-1 \(agent banking-agent\): 3 events[\s\S]*injection\.chain/,
    );
    // serve kept running and serving.
    expect(serve.child.exitCode).toBeNull();
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it('when neither the store nor serve can be read: exit 2 and one line saying what to do', async () => {
    // A port nobody listens on any more.
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err: string[] = [];
    const code = await hunt(['--since', '1h', '--data-dir', dataDir, '--url', `http://127.0.0.1:${port}`], {
      out: () => {},
      err: (l) => err.push(l),
      env: {},
    });
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /held by a running `bulwark serve` and its API at http:\/\/127\.0\.0\.1:\d+ did not answer \(cannot reach it: ECONNREFUSED\): pass serve's address with --url/,
    );
    expect(err[0]).not.toContain('\n');
  });

  it('hunt on a store that does not exist exits non-zero and creates nothing', async () => {
    const missing = path.join(dir, 'no-such-store');
    const err: string[] = [];
    const code = await hunt(['--since', '1h', '--data-dir', missing], {
      out: () => {},
      err: (l) => err.push(l),
      env: {},
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/no event store/);
    expect(existsSync(missing)).toBe(false);
  });

  it('headless Chromium: the page shows the blocked call, the incident and the session view (screenshot in test/artifacts/)', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      const why = `no Chromium at ${CHROMIUM} (install Debian's chromium or set BULWARK_CHROMIUM)`;
      if (process.env.CI === 'true') throw new Error(`CI=true requires the browser test: ${why}`);
      ctx.skip(why);
      return;
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = (extra: string[], url: string) => {
      const profile = mkdtempSync(path.join(dir, 'chromium-'));
      return run(CHROMIUM, [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        `--user-data-dir=${profile}`,
        '--window-size=1400,2200',
        ...extra,
        url,
      ]);
    };
    // Virtual time past one refresh: the page's own script fetched /api/view under its CSP and swapped it in.
    const overview = await browser(['--virtual-time-budget=20000', '--dump-dom'], `${serve.url}/?since=1h`);
    expect(overview.code, overview.stderr).toBe(0);
    const dom = overview.stdout;
    expect(dom).toMatch(/<body[^>]*data-updated-millis="\d+"/);
    expect(dom).toMatch(/<span class="title">Blocked send_money[^<]*\(injection\.chain[^<]*\)<\/span>/);
    expect(dom).toMatch(/<table id="incident-index">[\s\S]*chain-1/);
    expect(dom).toContain('banking-agent');
    expect(dom).toMatch(/id="live-status"[^>]*data-state="ok"/);
    const link = /href="(\/sessions\/chain-1\?[^"]+)"/.exec(dom);
    expect(link).not.toBeNull();
    const sessionUrl = `${serve.url}${link![1]!.replace(/&amp;/g, '&')}`;

    const session = await browser(['--dump-dom'], sessionUrl);
    expect(session.code, session.stderr).toBe(0);
    expect(session.stdout).toContain('<span class="mono" id="session-id">chain-1</span>');
    expect(session.stdout).toMatch(
      /id="timeline"[\s\S]*tool result<\/td><td class="mono">read_file[\s\S]*verdict <span class="badge"[^>]*>block<\/span><\/td><td class="mono">send_money/,
    );
    expect(session.stdout).toMatch(/id="evidence"[\s\S]*US133000000121212121212/);

    const shot = path.join(ARTIFACTS, 'analyst-view.png');
    rmSync(shot, { force: true });
    const screenshot = await browser(
      ['--virtual-time-budget=3000', `--screenshot=${shot}`],
      `${serve.url}/?since=1h`,
    );
    expect(screenshot.code, screenshot.stderr).toBe(0);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    const sessionShot = path.join(ARTIFACTS, 'analyst-session.png');
    await browser(['--virtual-time-budget=3000', `--screenshot=${sessionShot}`], sessionUrl);
    console.log(`analyst view screenshots: ${shot}, ${sessionShot}`);
  }, 120_000);
});
