// End to end on a real Kafka broker and a real ClickHouse server: events in on the bus, the stream worker
// (its own process) killed with SIGKILL mid-stream and restarted, and at the end every event stored once,
// a verdict per tool call, the findings, and one PagerDuty alert per attack (incident).
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type AgentEvent, sessionKey } from '@bulwark/contracts';
import { ClickHouseServerEventStore, incidentKey, KafkaEventBus, QUERIES } from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  benignSession,
  CLICKHOUSE_URL,
  clickhouseSql,
  clickhouseUp,
  injectionSession,
} from '../stream/test/fixtures/sample-records.js';
import { PagerDutyReceiver } from '../stream/test/receivers/pagerduty-receiver.js';
import { WebhookReceiver } from '../stream/test/receivers/webhook-receiver.js';
import { kafkaBroker } from './src/services.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
// The broker scripts/kafka.mjs runs (BULWARK_KAFKA_PORT) or BULWARK_KAFKA_BROKERS.
const BROKER = kafkaBroker();

function tcpUp(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port), timeout: 2_000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

const kafkaUp = await tcpUp(BROKER);
const chUp = await clickhouseUp();
const missing = [
  ...(kafkaUp ? [] : [`no Kafka broker at ${BROKER} (node scripts/kafka.mjs start)`]),
  ...(chUp ? [] : [`no ClickHouse server at ${CLICKHOUSE_URL} (node scripts/clickhouse.mjs start)`]),
].join('; ');

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const TENANT = 'e2e';
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
const SECRET = 'e2e-webhook-secret-long-enough';
const topics = {
  events: `bulwark-e2e-${RUN}.events`,
  verdicts: `bulwark-e2e-${RUN}.verdicts`,
  findings: `bulwark-e2e-${RUN}.findings`,
  alerts: `bulwark-e2e-${RUN}.alerts`,
};
const database = `bw_e2e_${RUN.replace(/-/g, '_')}`;

const ATTACKS = 30;
const BENIGN = 45;
const base = Date.now() - 5 * 60_000;
const sessions: AgentEvent[][] = [
  ...Array.from({ length: ATTACKS }, (_, i) => injectionSession(TENANT, `atk-${i}`, base + i * 100)),
  ...Array.from({ length: BENIGN }, (_, i) => benignSession(TENANT, `ok-${i}`, base + i * 100)),
];
// Interleaved like live traffic: the i-th event of every session, then the next.
const stream: AgentEvent[] = [];
for (let step = 0; step < 4; step++) for (const s of sessions) if (s[step]) stream.push(s[step]!);
const toolCalls = stream.filter((e) => e.kind === 'tool_call').length;

const pd = new PagerDutyReceiver();
const hook = new WebhookReceiver(SECRET);
let producer: KafkaEventBus;
let reader: ClickHouseServerEventStore;
const children: ChildProcess[] = [];

function startWorker(): Promise<ChildProcess> {
  // One node process (tsx as a loader, not its CLI wrapper), so SIGKILL hits the worker itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'stream/test/fixtures/worker-process.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: 'tsconfig.check.json',
      BULWARK_E2E_WORKER: JSON.stringify({
        brokers: [BROKER],
        topics,
        groupId: `bulwark-e2e-${RUN}`,
        clickhouseUrl: CLICKHOUSE_URL,
        database,
        routing: {
          channels: {
            oncall: { type: 'pagerduty', routingKey: ROUTING_KEY, eventsUrl: `${pd.url}/v2/enqueue` },
            soc: { type: 'webhook', url: hook.url, secret: SECRET },
          },
          routes: [{ channels: ['oncall', 'soc'], minSeverity: 'high' }],
          minIncidentSeverity: 'high',
        },
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (process.env.BULWARK_E2E_VERBOSE) process.stderr.write(`[worker ${child.pid}] ${d}`);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready:\n${stderr}`));
    });
  });
}

async function stats() {
  const res = await reader.query(QUERIES.tenantStats, { tenantId: TENANT });
  if (!res.ok) throw new Error(res.message);
  return Object.fromEntries(res.rows.map((r) => [r.table, r]));
}

async function publish(events: AgentEvent[]) {
  const res = await producer.publish(
    'events',
    events.map((e) => ({ key: sessionKey(e.tenantId, e.sessionId), value: e })),
  );
  expect(res.ok).toBe(true);
  await producer.forceFlush();
}

const t0 = Date.now();
const step = (what: string) => {
  if (process.env.BULWARK_E2E_VERBOSE) console.log(`[e2e +${Date.now() - t0} ms] ${what}`);
};

const e2e = missing ? (process.env.CI ? describe : describe.skip) : describe;

e2e(`stream worker end to end on Kafka + ClickHouse${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    if (missing) {
      if (process.env.CI) throw new Error(`${missing} (required under CI)`);
      return;
    }
    await Promise.all([pd.start(), hook.start()]);
    producer = new KafkaEventBus({ brokers: [BROKER], topics, clientId: `bulwark-e2e-producer-${RUN}` });
    // The Kafka bus sends only once started (subscribe starts it implicitly; a pure producer must).
    expect(await producer.whenReady(30_000)).toBe(true);
    reader = await ClickHouseServerEventStore.open({ url: CLICKHOUSE_URL, database });
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await producer?.shutdown();
    await reader?.shutdown();
    if (!missing) await clickhouseSql(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
    await Promise.all([pd.close(), hook.close()]);
  }, 60_000);

  it('N events in, N stored once, verdicts, findings and one alert per incident - across a SIGKILL and restart', async () => {
    step('starting worker 1');
    const first = await startWorker();
    step('worker 1 ready');
    // A live feed in the background: small batches, paced, while the worker is killed and restarted.
    let published = 0;
    const feed = (async () => {
      for (let i = 0; i < stream.length; i += 5) {
        await publish(stream.slice(i, i + 5));
        published = Math.min(stream.length, i + 5);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    await vi.waitFor(async () => expect((await stats()).events!.rows).toBeGreaterThanOrEqual(60), {
      timeout: 60_000,
      interval: 50,
    });
    step(`stored ${(await stats()).events!.rows} of ${published} published so far; SIGKILL worker 1`);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const second = startWorker();
    await feed;
    step(`all ${stream.length} events published`);
    await second;
    step('worker 2 ready');
    await vi.waitFor(
      async () => {
        const s = await stats();
        expect(s.events!.rows).toBe(stream.length);
        expect(s.tool_calls!.rows).toBe(toolCalls);
        expect(s.verdicts!.rows).toBe(toolCalls);
      },
      { timeout: 90_000, interval: 250 },
    );
    await vi.waitFor(() => expect(pd.alerts.size).toBe(ATTACKS), { timeout: 60_000, interval: 250 });

    // No loss, no duplicate rows visible to queries.
    const s = await stats();
    for (const t of Object.values(s)) expect(t.rows, t.table).toBe(t.distinctIds);
    expect(s.findings!.rows).toBeGreaterThanOrEqual(ATTACKS * 2);
    for (let i = 0; i < ATTACKS; i++) {
      const v = await reader.query(QUERIES.sessionVerdicts, { tenantId: TENANT, sessionId: `atk-${i}` });
      expect(v.ok && v.rows.find((x) => x.verdict.toolName === 'send_money')?.verdict.decision).toBe('block');
    }
    const benignFindings = await reader.query(QUERIES.sessionFindings, {
      tenantId: TENANT,
      sessionId: 'ok-0',
    });
    expect(benignFindings.ok && benignFindings.rows).toEqual([]);

    // One PagerDuty alert per attack session, none for benign ones.
    expect([...pd.alerts.keys()].sort()).toEqual(
      Array.from({ length: ATTACKS }, (_, i) => incidentKey(TENANT, `atk-${i}`)).sort(),
    );
    // The webhook channel: no incident paged twice at the same severity (re-sent copies carry the same id).
    const perIncident = new Map<string, string[]>();
    for (const a of hook.alerts()) {
      const list = perIncident.get(String(a.dedupKey)) ?? [];
      list.push(String(a.severity));
      perIncident.set(String(a.dedupKey), list);
    }
    expect(perIncident.size).toBe(ATTACKS);
    for (const [key, severities] of perIncident)
      expect(new Set(severities).size, key).toBe(severities.length);
  }, 170_000);
});
