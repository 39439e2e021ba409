import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sessionKey, type Verdict } from '@bulwark/contracts';
import {
  AlertRouter,
  ChdbEventStore,
  IncidentTracker,
  InProcessEventBus,
  incidentKey,
  QUERIES,
  StreamMetrics,
  StreamWorker,
} from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { benignSession, finding, injectionSession, verdict } from './fixtures/sample-records.js';
import { PagerDutyReceiver } from './receivers/pagerduty-receiver.js';
import { WebhookReceiver } from './receivers/webhook-receiver.js';

const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const SECRET = 'a-webhook-secret-of-enough-length';
const TENANT = 'acme';
const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-worker-'));
const pd = new PagerDutyReceiver();
const hook = new WebhookReceiver(SECRET);
let store: ChdbEventStore;
let bus: InProcessEventBus;
const metrics = new StreamMetrics();

function newWorker(): StreamWorker {
  const router = new AlertRouter({
    config: {
      channels: {
        oncall: { type: 'pagerduty', routingKey: ROUTING_KEY, eventsUrl: `${pd.url}/v2/enqueue` },
        soc: { type: 'webhook', url: hook.url, secret: SECRET },
      },
      routes: [{ channels: ['oncall', 'soc'], minSeverity: 'high' }],
      approvals: { channel: 'soc', timeoutMillis: 10 * 60_000 },
      minIncidentSeverity: 'high',
    },
    store,
    metrics,
  });
  return new StreamWorker({ bus, store, alertRouter: router, metrics, flushBusBeforeCommit: false });
}

async function rows<P extends Record<string, unknown>, R>(
  q: Parameters<typeof store.query<P, R>>[0],
  p: P,
): Promise<R[]> {
  const res = await store.query(q, p);
  if (!res.ok) throw new Error(res.message);
  return res.rows;
}

const stat = async (table: string) =>
  (await rows(QUERIES.tenantStats, { tenantId: TENANT })).find((r) => r.table === table)!;

let worker: StreamWorker;
const base = Date.now() - 60_000;

beforeAll(async () => {
  await Promise.all([pd.start(), hook.start()]);
  store = await ChdbEventStore.open({ dataDir, batching: { flushIntervalMillis: 20 } });
  bus = new InProcessEventBus({ maxBatchRecords: 7 });
  worker = newWorker();
  await worker.start();
});

afterAll(async () => {
  await worker.shutdown();
  await bus.shutdown();
  await store.shutdown();
  await Promise.all([pd.close(), hook.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('StreamWorker on the in-process bus with the chdb store', () => {
  const attacks = ['atk-1', 'atk-2', 'atk-3'].map((s, i) => injectionSession(TENANT, s, base + i * 10));
  const benign = ['ok-1', 'ok-2'].map((s, i) => benignSession(TENANT, s, base + i * 10));
  const all = [...attacks.flat(), ...benign.flat()];

  it('stores every event, a verdict per tool call and the findings, and pages once per attack', async () => {
    const res = await bus.publish(
      'events',
      all.map((e) => ({ key: sessionKey(e.tenantId, e.sessionId), value: e })),
    );
    expect(res.ok).toBe(true);
    await vi.waitFor(async () => expect((await stat('events')).rows).toBe(all.length), {
      timeout: 20_000,
      interval: 100,
    });
    await vi.waitFor(() => expect(pd.alerts.size).toBe(3), { timeout: 20_000, interval: 100 });

    const calls = all.filter((e) => e.kind === 'tool_call');
    expect((await stat('tool_calls')).rows).toBe(calls.length);
    const v = await rows(QUERIES.sessionVerdicts, { tenantId: TENANT, sessionId: 'atk-2' });
    expect(v.map((x) => [x.origin, x.verdict.toolName, x.verdict.decision])).toEqual([
      ['stream', 'read_file', 'allow'],
      ['stream', 'send_money', 'block'],
    ]);
    const f = await rows(QUERIES.sessionFindings, { tenantId: TENANT, sessionId: 'atk-2' });
    expect(
      f.some(
        (x) => x.detectorId === 'injection.chain' && x.decision === 'block' && x.toolName === 'send_money',
      ),
    ).toBe(true);
    expect(await rows(QUERIES.sessionFindings, { tenantId: TENANT, sessionId: 'ok-1' })).toEqual([]);

    // One PagerDuty alert per attack session (incident), none for benign sessions.
    for (const s of ['atk-1', 'atk-2', 'atk-3'])
      expect(pd.alerts.get(incidentKey(TENANT, s))?.status).toBe('triggered');
    const stored = await rows(QUERIES.alertsSince, { sinceMillis: 0, tenantId: TENANT, limit: 100 });
    expect(new Set(stored.map((a) => a.dedupKey)).size).toBe(3);
    await vi.waitFor(() => expect(hook.alerts().length).toBe(stored.length), { timeout: 10_000 });
    for (const s of await rows(QUERIES.tenantStats, { tenantId: TENANT }))
      expect(s.rows, s.table).toBe(s.distinctIds);
  });

  it('redelivered events are harmless: no new rows visible, no re-page', async () => {
    const before = await rows(QUERIES.tenantStats, { tenantId: TENANT });
    const triggers = [...pd.alerts.values()].map((a) => a.triggers);
    await bus.publish(
      'events',
      all.map((e) => ({ key: sessionKey(e.tenantId, e.sessionId), value: e })),
    );
    await bus.forceFlush();
    await store.forceFlush();
    expect(await rows(QUERIES.tenantStats, { tenantId: TENANT })).toEqual(before);
    expect([...pd.alerts.values()].map((a) => a.triggers)).toEqual(triggers);
  });

  it('stores inline decisions from the collector, routes require_approval to the approver, pages inline blocks', async () => {
    const inline: Verdict = verdict({
      tenantId: TENANT,
      sessionId: 'inl-1',
      toolCallId: 'c7',
      decision: 'require_approval',
      timestampMillis: Date.now(),
    });
    await bus.publish('verdicts', [
      { key: sessionKey(TENANT, 'inl-1'), value: { ...inline, agentId: 'agent-9' } },
    ]);
    await bus.publish('findings', [
      {
        key: sessionKey(TENANT, 'inl-2'),
        value: finding({
          findingId: 'inline-f1',
          tenantId: TENANT,
          sessionId: 'inl-2',
          severity: 'critical',
        }),
      },
    ]);
    await vi.waitFor(
      async () => {
        const v = await rows(QUERIES.sessionVerdicts, { tenantId: TENANT, sessionId: 'inl-1' });
        expect(v.map((x) => [x.origin, x.verdict.decision, x.agentId])).toEqual([
          ['inline', 'require_approval', 'agent-9'],
        ]);
      },
      { timeout: 10_000, interval: 100 },
    );
    await vi.waitFor(
      () => expect([...hook.deliveries.values()].some((d) => d.type === 'approval_request')).toBe(true),
      { timeout: 10_000 },
    );
    await vi.waitFor(() => expect(pd.alerts.get(incidentKey(TENANT, 'inl-2'))?.status).toBe('triggered'), {
      timeout: 10_000,
    });
    expect(await rows(QUERIES.sessionFindings, { tenantId: TENANT, sessionId: 'inl-2' })).toHaveLength(1);
  });

  it('keeps records that do not validate as dead letters and carries on', async () => {
    await bus.publish('events', [
      { key: 'x', value: { kind: 'tool_call', eventId: 'broken', tenantId: TENANT } },
    ]);
    const ok = benignSession(TENANT, 'ok-after-bad', Date.now());
    await bus.publish(
      'events',
      ok.map((e) => ({ key: sessionKey(TENANT, e.sessionId), value: e })),
    );
    await vi.waitFor(
      async () => {
        const dead = await rows(QUERIES.deadLettersSince, { sinceMillis: 0, tenantId: TENANT, limit: 10 });
        expect(dead.map((d) => d.source)).toContain('bus.events');
        expect(
          await rows(QUERIES.sessionEvents, { tenantId: TENANT, sessionId: 'ok-after-bad' }),
        ).toHaveLength(2);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(metrics.value('worker_invalid_records_total', { source: 'bus.events' })).toBe(1);
  });

  it('a restarted worker rebuilds session state from the store and does not re-page', async () => {
    const session = injectionSession(TENANT, 'split', Date.now());
    const first = session.slice(0, 3); // prompt, read_file, injected result
    const rest = session.slice(3); // send_money
    await bus.publish(
      'events',
      first.map((e) => ({ key: sessionKey(TENANT, 'split'), value: e })),
    );
    await vi.waitFor(() => expect(pd.alerts.get(incidentKey(TENANT, 'split'))).toBeDefined(), {
      timeout: 10_000,
    });
    const triggersBefore = pd.alerts.get(incidentKey(TENANT, 'split'))!.triggers;
    await worker.shutdown();
    worker = newWorker(); // fresh engine, fresh incident memory
    await worker.start();
    await bus.publish(
      'events',
      rest.map((e) => ({ key: sessionKey(TENANT, 'split'), value: e })),
    );
    await vi.waitFor(
      async () => {
        const v = await rows(QUERIES.sessionVerdicts, { tenantId: TENANT, sessionId: 'split' });
        expect(v.find((x) => x.verdict.toolName === 'send_money')?.verdict.decision).toBe('block');
        // The block raised the severity (high -> critical): one escalation, same incident.
        const alerts = await rows(QUERIES.incidentAlerts, {
          tenantId: TENANT,
          dedupKey: incidentKey(TENANT, 'split'),
          limit: 10,
        });
        expect(alerts.map((a) => a.severity).sort()).toEqual(['critical', 'high']);
      },
      { timeout: 10_000, interval: 100 },
    );
    await vi.waitFor(
      () => expect(pd.alerts.get(incidentKey(TENANT, 'split'))!.triggers).toBe(triggersBefore + 1),
      { timeout: 10_000 },
    );
    expect(pd.alerts.size).toBe(5);
  });

  it('an incident tracker with a store remembers pages across instances', async () => {
    const t = new IncidentTracker({ store });
    const again = await t.process(
      [
        finding({
          findingId: 'x-1',
          tenantId: TENANT,
          sessionId: 'atk-1',
          severity: 'high',
          timestampMillis: base + 5_000,
        }),
      ],
      async () => {},
    );
    expect(again).toEqual([]);
  });
});
