import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AlertRouter,
  ChdbEventStore,
  PagerDutyAlertSink,
  postJson,
  QUERIES,
  SLACK_LIMITS,
  SlackAlertSink,
  StreamMetrics,
  WebhookAlertSink,
} from '@bulwark/stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alert, finding, verdict } from './fixtures/sample-records.js';
import { PagerDutyReceiver } from './receivers/pagerduty-receiver.js';
import { SlackReceiver } from './receivers/slack-receiver.js';
import { WebhookReceiver } from './receivers/webhook-receiver.js';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde'; // 32 characters, like a real integration key
const SECRET = 'a-webhook-secret-of-enough-length';

const slack = new SlackReceiver();
const pd = new PagerDutyReceiver();
const hook = new WebhookReceiver(SECRET);
const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-alerts-'));
let store: ChdbEventStore;

beforeAll(async () => {
  await Promise.all([slack.start(), pd.start(), hook.start()]);
  store = await ChdbEventStore.open({ dataDir, batching: { flushIntervalMillis: 50 } });
});
afterAll(async () => {
  await store.shutdown();
  await Promise.all([slack.close(), pd.close(), hook.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const r of [slack, pd, hook]) r.recover();
});

/** An alert at the edge of every limit: long title, many findings with long excerpts. */
function bigAlert() {
  const findings = Array.from({ length: 120 }, (_, i) =>
    finding({
      findingId: `f-${i}`,
      title: `Finding ${i} <script>&</script> ${'x'.repeat(400)}`,
      evidence: [{ excerpt: 'IGNORE PREVIOUS INSTRUCTIONS '.repeat(60).slice(0, 2000) }],
    }),
  );
  return alert({ title: `Very long title ${'y'.repeat(2000)}`, summary: 's'.repeat(5000), findings });
}

describe('SlackAlertSink against a Slack incoming-webhook receiver', () => {
  it('posts Block Kit blocks plus fallback text, and Slack answers ok', async () => {
    const sink = new SlackAlertSink({
      webhookUrl: `${slack.url}/services/T0/B0/X`,
      consoleUrl: 'https://bulwark.example.com',
    });
    expect(await sink.send(alert())).toEqual({ ok: true, status: 200 });
    const msg = slack.messages.at(-1)!;
    expect(msg.text).toContain('[HIGH] Injected instruction drove a side effect');
    expect(msg.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(JSON.stringify(msg.blocks)).toContain('Open session');
  });

  it('stays within Block Kit limits for oversized alerts (truncates, escapes)', async () => {
    const sink = new SlackAlertSink({ webhookUrl: slack.url });
    const res = await sink.send(bigAlert());
    expect(res, slack.problems.join('; ')).toEqual({ ok: true, status: 200 });
    const msg = slack.messages.at(-1)!;
    expect(msg.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(JSON.stringify(msg.blocks)).not.toContain('<script>');
    expect(JSON.stringify(msg.blocks)).toContain('more findings');
  });

  it('the receiver is strict: a message over the limits gets 400 invalid_blocks', async () => {
    const res = await postJson(
      slack.url,
      JSON.stringify({ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] }),
      {
        timeoutMillis: 2_000,
      },
    );
    expect(res).toMatchObject({ ok: false, status: 400, body: 'invalid_blocks', retriable: false });
    const empty = await postJson(slack.url, '{}', { timeoutMillis: 2_000 });
    expect(empty).toMatchObject({ ok: false, status: 400, body: 'no_text' });
  });

  // 429 with Retry-After and 5xx, for every sink: alert-sink.contract.test.ts.
  it('reports 404 channel_not_found as permanent', async () => {
    const sink = new SlackAlertSink({ webhookUrl: slack.url });
    slack.failNext(1, { status: 404, body: 'channel_not_found' });
    expect(await sink.send(alert())).toMatchObject({ ok: false, retriable: false, status: 404 });
  });
});

describe('PagerDutyAlertSink against an Events API v2 receiver', () => {
  it('triggers one alert per dedup_key with a valid payload, then resolves it', async () => {
    const sink = new PagerDutyAlertSink({
      routingKey: ROUTING_KEY,
      eventsUrl: `${pd.url}/v2/enqueue`,
      source: 'bulwark-test',
      consoleUrl: 'https://bulwark.example.com',
    });
    const a = alert({ dedupKey: 'incident:pd-1' }, 'critical');
    expect(await sink.send(a)).toEqual({ ok: true, status: 202 });
    expect(await sink.send({ ...a, alertId: 'a-2' })).toEqual({ ok: true, status: 202 });
    const tracked = pd.alerts.get('incident:pd-1')!;
    expect(tracked).toMatchObject({ status: 'triggered', triggers: 2 });
    const payload = tracked.lastEvent.payload as Record<string, unknown>;
    expect(payload).toMatchObject({
      severity: 'critical',
      source: 'bulwark-test',
      group: 'acme',
      component: 'agent-1',
      class: 'injection.chain',
    });
    expect(JSON.parse(pd.accepted().at(-1)!.answer)).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: 'incident:pd-1',
    });
    expect(await sink.send({ ...a, action: 'resolve' })).toEqual({ ok: true, status: 202 });
    expect(pd.alerts.get('incident:pd-1')?.status).toBe('resolved');
  });

  it('keeps summary within 1024 characters and maps every severity', async () => {
    const sink = new PagerDutyAlertSink({ routingKey: ROUTING_KEY, eventsUrl: `${pd.url}/v2/enqueue` });
    for (const [sev, expected] of [
      ['critical', 'critical'],
      ['high', 'error'],
      ['medium', 'warning'],
      ['low', 'info'],
      ['info', 'info'],
    ] as const) {
      const res = await sink.send({ ...bigAlert(), severity: sev, dedupKey: `incident:sev-${sev}` });
      expect(res, pd.requests.at(-1)?.answer).toEqual({ ok: true, status: 202 });
      const p = pd.alerts.get(`incident:sev-${sev}`)!.lastEvent.payload as {
        summary: string;
        severity: string;
      };
      expect(p.severity).toBe(expected);
      expect(p.summary.length).toBeLessThanOrEqual(1024);
    }
  });

  it('the receiver is strict: a bad routing key or missing summary gets 400 invalid event', async () => {
    const bad = new PagerDutyAlertSink({ routingKey: 'short', eventsUrl: `${pd.url}/v2/enqueue` });
    expect(await bad.send(alert())).toMatchObject({ ok: false, status: 400, retriable: false });
    const res = await postJson(
      `${pd.url}/v2/enqueue`,
      JSON.stringify({
        routing_key: ROUTING_KEY,
        event_action: 'trigger',
        payload: { source: 'x', severity: 'info' },
      }),
      { timeoutMillis: 2_000 },
    );
    expect(res.ok).toBe(false);
    expect(JSON.parse(res.body)).toMatchObject({
      status: 'invalid event',
      errors: ["'payload.summary' is missing or blank"],
    });
  });
});

describe('WebhookAlertSink against a signature-checking receiver', () => {
  it('signs the body with HMAC-SHA256 and a timestamp, with the alert id as delivery id', async () => {
    const sink = new WebhookAlertSink({ url: hook.url, secret: SECRET });
    expect(await sink.send(alert({ alertId: 'wh-1' }))).toEqual({ ok: true, status: 200 });
    const req = hook.requests.at(-1)!;
    expect(req.headers['x-bulwark-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(req.headers['x-bulwark-delivery']).toBe('wh-1');
    expect(hook.deliveries.get('wh-1')?.type).toBe('alert');
  });

  it('is rejected with a wrong secret or a stale timestamp (replay)', async () => {
    const wrong = new WebhookAlertSink({ url: hook.url, secret: 'not-the-right-secret!' });
    expect(await wrong.send(alert({ alertId: 'wh-2' }))).toMatchObject({
      ok: false,
      status: 401,
      retriable: false,
    });
    const stale = new WebhookAlertSink({
      url: hook.url,
      secret: SECRET,
      now: () => Date.now() - 10 * 60_000,
    });
    expect(await stale.send(alert({ alertId: 'wh-3' }))).toMatchObject({ ok: false, status: 401 });
    expect(hook.deliveries.has('wh-2') || hook.deliveries.has('wh-3')).toBe(false);
  });
});

describe('AlertRouter: routing, retries, dead letters', () => {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  const config = {
    channels: {
      secops: { type: 'slack' as const, webhookUrl: slack.url || 'http://127.0.0.1:1' },
      oncall: {
        type: 'pagerduty' as const,
        routingKey: ROUTING_KEY,
        eventsUrl: 'http://127.0.0.1:1/v2/enqueue',
      },
      soc: { type: 'webhook' as const, url: 'http://127.0.0.1:1', secret: SECRET },
    },
    routes: [
      { channels: ['secops'] },
      { channels: ['oncall'], minSeverity: 'critical' as const },
      { channels: ['soc'], tenants: ['acme'], detectors: ['injection.*'] },
    ],
    approvals: {
      channel: 'soc',
      timeoutMillis: 60_000,
      callbackUrl: 'https://collector.example.com/v1/approvals',
    },
    retry: { maxAttempts: 4, initialDelayMillis: 100, maxDelayMillis: 1_000, deadlineMillis: 60_000 },
  };
  const router = (metrics = new StreamMetrics()) =>
    new AlertRouter({
      config: {
        ...config,
        channels: {
          secops: { ...config.channels.secops, webhookUrl: slack.url },
          oncall: { ...config.channels.oncall, eventsUrl: `${pd.url}/v2/enqueue` },
          soc: { ...config.channels.soc, url: hook.url },
        },
      },
      store,
      metrics,
      sleep,
      random: () => 0.5,
    });

  it('rejects bad configuration listing every problem', () => {
    expect(
      () =>
        new AlertRouter({
          config: {
            channels: { x: { type: 'slack', webhookUrl: 'nope' } },
            routes: [{ channels: ['y'] }],
            approvals: { channel: 'x' },
          },
        }),
    ).toThrowError(
      /channels\.x\.webhookUrl.*routes\.0\.channels\.0: unknown channel "y".*approvals\.channel: the approver channel must be a webhook/s,
    );
  });

  it('routes by severity, tenant and detector family', () => {
    const r = router();
    expect(r.channelsFor(alert({}, 'high')).sort()).toEqual(['secops', 'soc']);
    expect(r.channelsFor(alert({}, 'critical')).sort()).toEqual(['oncall', 'secops', 'soc']);
    expect(r.channelsFor(alert({ tenantId: 'other' }, 'critical')).sort()).toEqual(['oncall', 'secops']);
    expect(r.channelsFor(alert({ detectorIds: ['exfil.secret'] }, 'high'))).toEqual(['secops']);
  });

  it('retries 429 (honouring Retry-After) and 5xx, then delivers once per channel', async () => {
    const metrics = new StreamMetrics();
    const r = router(metrics);
    delays.length = 0;
    slack.failNext(1, { status: 429, body: 'rate_limited', headers: { 'retry-after': '3' } });
    slack.failNext(2, { status: 500, body: 'rollup_error' });
    const before = slack.accepted().length;
    const report = await r.dispatch(alert({ alertId: 'retry-1' }, 'critical'));
    expect(report.delivered.sort()).toEqual(['oncall', 'secops', 'soc']);
    expect(report.deadLettered).toEqual([]);
    expect(slack.accepted().length).toBe(before + 1);
    expect(delays[0]).toBeGreaterThanOrEqual(3_000);
    expect(metrics.value('alert_send_retries_total', { channel: 'secops' })).toBe(3);
    expect(metrics.value('alerts_sent_total')).toBe(3);
    // Redelivered from the bus: not sent again by this process.
    expect((await r.dispatch(alert({ alertId: 'retry-1' }, 'critical'))).duplicates.sort()).toEqual([
      'oncall',
      'secops',
      'soc',
    ]);
  });

  it('dead-letters a channel that keeps failing (row in the store, metric), while others deliver', async () => {
    const metrics = new StreamMetrics();
    const r = router(metrics);
    pd.failAlways({ status: 503, body: '{"status":"unavailable"}', contentType: 'application/json' });
    hook.failNext(1, { status: 404, body: 'gone' });
    const a = alert({ alertId: 'dead-1', tenantId: 'acme' }, 'critical');
    const report = await r.dispatch(a);
    expect(report.delivered).toEqual(['secops']);
    expect(report.deadLettered.sort()).toEqual(['oncall', 'soc']);
    expect(metrics.value('alerts_dead_lettered_total', { channel: 'oncall' })).toBe(1);
    expect(metrics.value('alerts_dead_lettered_total', { channel: 'soc' })).toBe(1);
    await store.forceFlush();
    const res = await store.query(QUERIES.deadLettersSince, { sinceMillis: 0, tenantId: 'acme', limit: 10 });
    expect(res.ok && res.rows.map((d) => [d.source, d.channel, d.attempts]).sort()).toEqual([
      ['alert', 'oncall', 4],
      ['alert', 'soc', 1],
    ]);
    const oncall = res.ok ? res.rows.find((d) => d.channel === 'oncall') : undefined;
    expect((oncall?.payload as { alertId?: string } | undefined)?.alertId).toBe('dead-1');
    expect(res.ok && res.rows.find((d) => d.channel === 'oncall')?.reason).toContain('HTTP 503');
  });

  it('sends require_approval verdicts to the approver webhook with a deadline, and skips expired ones', async () => {
    const r = router();
    const v = verdict({ decision: 'require_approval', toolCallId: 'c9', argumentsHash: 'abc' });
    const sent = await r.requestApproval(v, 'agent-1');
    expect(sent.status).toBe('sent');
    const got = hook.deliveries.get(sent.request!.approvalId)!;
    expect(got.type).toBe('approval_request');
    expect(got.body.approval).toMatchObject({
      toolCallId: 'c9',
      argumentsHash: 'abc',
      expiresAtMillis: v.timestampMillis + 60_000,
      callbackUrl: 'https://collector.example.com/v1/approvals',
    });
    const old = verdict({
      decision: 'require_approval',
      toolCallId: 'c10',
      timestampMillis: Date.now() - 120_000,
    });
    expect((await r.requestApproval(old)).status).toBe('skipped');
    expect((await r.requestApproval(verdict({ decision: 'block' }))).status).toBe('skipped');
  });
});
