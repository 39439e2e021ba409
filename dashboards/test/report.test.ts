/**
 * The HTML report, rendered in headless Chromium: it shows its charts with data, makes no request at all,
 * and a screenshot lands in `test-output/report.png` for a human to look at. Built from the embedded store,
 * and from a ClickHouse server when one is running.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChdbEventStore, ClickHouseServerEventStore, type EventStore } from '@bulwark/stream';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseUrl } from '../../test/src/services.js';
import { generateReport } from '../src/report/generate-report.js';
import { type SeedResult, seedStore } from './seed-store.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const outDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
const HOUR = 3_600_000;
const now = Date.now();

const haveChromium = existsSync(CHROMIUM);
const noChromium = `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`;

let dataDir: string;
let store: ChdbEventStore;
let seed: SeedResult;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-report-'));
  store = await ChdbEventStore.open({ dataDir });
  seed = await seedStore(store, now);
});

afterAll(async () => {
  await store?.shutdown();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('report data (chdb)', () => {
  it('has the overview numbers, charts data and incidents with evidence', async () => {
    const res = await generateReport(store, { sinceMillis: now - 24 * HOUR, untilMillis: now + 60_000 });
    if (!res.ok) throw new Error(res.message);
    const { data } = res;
    const verdicts = seed.records.verdicts.length;
    expect(data.totals.decisions).toBe(verdicts);
    expect(data.totals.blocked).toBe(
      seed.records.verdicts.filter((v) => v.verdict.decision === 'block').length,
    );
    expect(data.topBlockedTools[0]?.toolName).toBeDefined();
    expect(data.detectors).toEqual(
      expect.arrayContaining(['injection.chain', 'exfil.sensitive-flow', 'sequence.anomaly']),
    );
    expect(data.riskiestSessions[0]?.maxSeverityRank).toBe(4);
    expect(data.totals.openIncidents).toBeGreaterThan(0);
    const attack = data.incidents.find((i) => i.sessionId === seed.attackSession.sessionId);
    expect(attack?.state).toBe('open');
    expect(attack?.findings.flatMap((f) => f.evidence.map((e) => e.excerpt))).toContain(
      'attacker@evil.example',
    );
  });

  it('counts and lists the calls refused without a verdict, with the verdict that came later', async () => {
    const res = await generateReport(store, { sinceMillis: now - 24 * HOUR, untilMillis: now + 60_000 });
    if (!res.ok) throw new Error(res.message);
    const { data, html } = res;
    expect(data.totals.refusedWithoutVerdict).toBe(2);
    expect(data.enforced?.refusedBySource).toEqual({ fallback_timeout: 1, fallback_unavailable: 1 });
    // Newest first; the timeout's late allow is shown, the outage had no verdict at all.
    expect(
      data.refusedCalls?.map((c) => [
        c.toolCallId,
        c.enforcedSource,
        c.verdictDecision,
        c.agentName,
        c.differs,
      ]),
    ).toEqual(
      seed.refusedCalls
        .slice()
        .reverse()
        .map((c) => [c.toolCallId, c.source, c.verdictDecision, 'notes-agent', true]),
    );
    // The refused calls' session gets its timeline, with what the agent enforced on each call.
    const detail = data.sessionDetails?.find((s) => s.sessionId === seed.refusedSession.sessionId);
    expect(detail?.enforcedCalls?.map((c) => c.source)).toEqual([
      'fallback_timeout',
      'verdict',
      'fallback_unavailable',
    ]);
    expect(html).toContain('id="kpi-refused"');
    expect(html).toContain('timeout 1 · unavailable 1');
    expect(html).toContain(`href="#session-acme-${seed.refusedSession.sessionId}"`);
  });

  it('shows a call that ran and was found after the fact as "executed, would have been blocked"', async () => {
    const res = await generateReport(store, { sinceMillis: now - 24 * HOUR, untilMillis: now + 60_000 });
    if (!res.ok) throw new Error(res.message);
    const inc = res.data.incidents.find((i) => i.sessionId === seed.lateSession.sessionId);
    expect(inc).toMatchObject({
      afterTheFact: true,
      title: 'Executed, would have been blocked: send_money (injection.chain)',
      alertTitle: 'Executed: would have been blocked',
    });
    const detail = res.data.sessionDetails?.find((s) => s.sessionId === seed.lateSession.sessionId);
    const late = detail?.verdicts.filter((v) => v.afterTheFact);
    expect(late?.map((v) => [v.toolName, v.decision, v.origin])).toEqual([['send_money', 'block', 'stream']]);
    // Stream verdicts that only confirm the inline one are not marked.
    const confirm = res.data.sessionDetails
      ?.flatMap((s) => s.verdicts)
      .filter((v) => v.origin === 'stream' && !v.afterTheFact);
    expect(confirm?.every((v) => v.decision === 'allow')).toBe(true);
  });

  it('narrows to one tenant', async () => {
    const res = await generateReport(store, {
      sinceMillis: now - 24 * HOUR,
      untilMillis: now + 60_000,
      tenantId: 'initech',
    });
    if (!res.ok) throw new Error(res.message);
    expect(res.data.incidents.every((i) => i.tenantId === 'initech')).toBe(true);
    expect(res.data.riskiestSessions.every((s) => s.tenantId === 'initech')).toBe(true);
    expect(res.data.totals.decisions).toBe(
      seed.records.verdicts.filter((v) => v.verdict.tenantId === 'initech').length,
    );
  });

  it('answers a closed store with a value, not an exception', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-report-closed-'));
    try {
      // chdb binds one data directory per process: close ours first, reopen it after.
      await store.shutdown();
      const closed = await ChdbEventStore.open({ dataDir: dir });
      await closed.shutdown();
      const res = await generateReport(closed, { sinceMillis: now - HOUR });
      expect(res).toMatchObject({ ok: false, reason: 'closed' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      store = await ChdbEventStore.open({ dataDir });
    }
  });
});

const browserSuite = haveChromium ? describe : process.env.CI ? describe : describe.skip;

browserSuite(
  `report in headless Chromium${haveChromium || process.env.CI ? '' : ` (skipped: ${noChromium})`}`,
  () => {
    let browser: Browser;

    beforeAll(async () => {
      if (!haveChromium) throw new Error(`${noChromium}; CI must install it`);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    });

    afterAll(async () => {
      await browser?.close();
    });

    it('renders with data, makes no request, and is screenshotted to test-output/report.png', async () => {
      const res = await generateReport(store, { sinceMillis: now - 24 * HOUR, untilMillis: now + 60_000 });
      if (!res.ok) throw new Error(res.message);
      mkdirSync(outDir, { recursive: true });
      const file = path.join(outDir, 'report.html');
      writeFileSync(file, res.html);
      const url = pathToFileURL(file).href;

      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (r.url() !== url) requests.push(r.url());
      });
      const consoleErrors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      await page.goto(url, { waitUntil: 'load' });

      expect(await page.title()).toContain('Bulwark security report');
      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((s) => ({ label: s.getAttribute('aria-label'), marks: s.querySelectorAll('.mark').length })),
      );
      expect(charts.map((c) => c.label)).toEqual([
        'Decisions over time by decision',
        'Top blocked tools',
        'Findings by severity',
        'Detections over time by detector',
      ]);
      for (const c of charts) expect(c.marks, `${c.label} has no marks`).toBeGreaterThan(0);
      // One bar per blocked tool and per severity; one segment per non-zero decision of each bucket.
      expect(charts[1]?.marks).toBe(res.data.topBlockedTools.length);
      expect(charts[2]?.marks).toBe(Object.values(res.data.findingsBySeverity).filter((v) => v > 0).length);
      const segments = res.data.decisionBuckets.reduce(
        (s, b) => s + Object.values(b.values).filter((v) => v > 0).length,
        0,
      );
      expect(charts[0]?.marks).toBe(segments);
      // Marks have a real size on screen (rendered, not just present).
      const box = await page.locator('svg.chart .mark').first().boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(0);
      expect(await page.locator('#riskiest-sessions tbody tr').count()).toBe(
        res.data.riskiestSessions.length,
      );
      expect(await page.locator('#incident-index tbody tr').count()).toBe(res.data.incidentIndex.length);
      expect(await page.locator('details.incident').count()).toBe(res.data.incidents.length);
      await expect(
        page.locator('.excerpt', { hasText: 'attacker@evil.example' }).first().isVisible(),
      ).resolves.toBe(true);
      // The refused-without-verdict tile, its section and the after-the-fact incident, on screen.
      expect(await page.locator('#kpi-refused .value').textContent()).toBe('2');
      expect(await page.locator('#refused-calls tbody tr').count()).toBe(res.data.refusedCalls?.length);
      expect(await page.locator('#refused-calls tbody tr').first().textContent()).toContain(
        'fallback: unavailable',
      );
      await expect(page.locator('#kpi-refused').isVisible()).resolves.toBe(true);
      await expect(page.locator('details.incident.late .badge.late').first().isVisible()).resolves.toBe(true);

      await page.screenshot({ path: path.join(outDir, 'report.png'), fullPage: true });
      await page.close();
      expect(requests, 'the report must not make any request').toEqual([]);
      expect(consoleErrors).toEqual([]);
    });

    it('shows attacker-controlled text as text', async () => {
      const res = await generateReport(store, { sinceMillis: now - 24 * HOUR, untilMillis: now + 60_000 });
      if (!res.ok) throw new Error(res.message);
      const evil = '<img src="http://127.0.0.1:9/x" onerror="document.title=\'pwned\'">';
      const html = res.html.replace(
        'IGNORE PREVIOUS INSTRUCTIONS',
        evil.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'),
      );
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('data:')) requests.push(r.url());
      });
      await page.setContent(html, { waitUntil: 'load' });
      expect(await page.locator('.excerpt img').count()).toBe(0);
      expect(await page.title()).not.toBe('pwned');
      await page.close();
      expect(requests).toEqual([]);
    });
  },
);

// The same report from a ClickHouse server (the legacy 18.16 one scripts/clickhouse.mjs runs on its
// BULWARK_CLICKHOUSE_HTTP_PORT, or BULWARK_CLICKHOUSE_URL).
const serverUrl = clickhouseUrl();
async function serverUp(): Promise<boolean> {
  try {
    return (await fetch(`${serverUrl}/ping`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}
const up = await serverUp();
const noServer = `no ClickHouse server at ${serverUrl} (node scripts/clickhouse.mjs start)`;
const serverSuite = up || process.env.CI ? describe : describe.skip;

serverSuite(`report from a ClickHouse server${up || process.env.CI ? '' : ` (skipped: ${noServer})`}`, () => {
  const database = `bulwark_report_test_${process.pid}`;
  let server: EventStore;

  beforeAll(async () => {
    if (!up) throw new Error(`${noServer}; CI must run one`);
    server = await ClickHouseServerEventStore.open({
      url: serverUrl,
      database,
      batching: { flushIntervalMillis: 100 },
    });
    await seedStore(server, now, 24);
  });

  afterAll(async () => {
    await server?.shutdown();
    if (up) await fetch(`${serverUrl}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${database}` });
  });

  it('has the same sections with data', async () => {
    const res = await generateReport(server, { sinceMillis: now - 24 * HOUR, untilMillis: now + 60_000 });
    if (!res.ok) throw new Error(res.message);
    expect(res.data.storeKind).toBe('server');
    expect(res.data.totals.decisions).toBeGreaterThan(0);
    expect(res.data.topBlockedTools.length).toBeGreaterThan(0);
    expect(res.data.incidents.length).toBeGreaterThan(0);
    expect(res.html).toContain('ClickHouse server event store');
  });
});
