// ClickHouseServerEventStore against a real ClickHouse server (Debian's 18.16 in this repo's scripts):
// batching by size and time, retries, permanent refusals, and the server stopped mid-load.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AgentEvent } from '@bulwark/contracts';
import { ClickHouseServerEventStore, MIGRATIONS, QUERIES, StreamMetrics } from '@bulwark/stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FaultProxy } from './fixtures/fault-proxy.js';
import { CLICKHOUSE_URL, clickhouseSql, clickhouseUp, event, finding } from './fixtures/sample-records.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const up = await clickhouseUp();
const serverBin = process.env.BULWARK_CLICKHOUSE_BIN ?? '/usr/sbin/clickhouse-server';
const haveBinary = existsSync(serverBin);
const prefix = `bw_server_${process.pid}_${Date.now().toString(36)}`;
let n = 0;
const nextDb = () => `${prefix}_${n++}`;
const databases: string[] = [];

function events(count: number, from = 0, sessionId = 's-load'): AgentEvent[] {
  const t = Date.now() - 60_000;
  return Array.from({ length: count }, (_, i) =>
    event({
      kind: 'prompt',
      eventId: `e-${from + i}`,
      tenantId: 'acme',
      sessionId,
      timestampMillis: t + from + i,
      role: 'user',
      content: `hello ${from + i}`,
    }),
  );
}

async function count(db: string, table = 'events', url = CLICKHOUSE_URL): Promise<number> {
  return Number((await clickhouseSql(`SELECT count() FROM ${db}.${table} FINAL`, url)).trim());
}

function unavailable(what: string): (name: string, fn: () => unknown) => void {
  // Absent component: skip with the reason, but fail under CI.
  return (name, fn) => {
    if (process.env.CI)
      it(name, () => {
        throw new Error(`${what} (required under CI)`);
      });
    else it.skip(`${name} [skipped: ${what}]`, fn);
  };
}

const withServer = up
  ? it
  : unavailable(`no ClickHouse server at ${CLICKHOUSE_URL}; run \`node scripts/clickhouse.mjs start\``);

describe('ClickHouseServerEventStore on a real server', () => {
  afterAll(async () => {
    if (up) for (const db of databases) await clickhouseSql(`DROP DATABASE IF EXISTS ${db}`).catch(() => {});
  });

  const open = async (o: Parameters<typeof ClickHouseServerEventStore.open>[0] = {}) => {
    const database = nextDb();
    databases.push(database);
    return {
      store: await ClickHouseServerEventStore.open({ url: CLICKHOUSE_URL, database, ...o }),
      database,
    };
  };

  withServer('detects the legacy dialect on 18.x and applies the schema', async () => {
    const { store } = await open();
    const version = (await clickhouseSql('SELECT version()')).trim();
    expect(store.dialect).toBe(Number.parseInt(version, 10) < 20 ? 'legacy' : 'modern');
    const res = await store.query(QUERIES.appliedMigrations, {});
    expect(res.ok && res.rows.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await store.shutdown();
  });

  // Review: the column migrations read system.columns, then ALTERed; two processes upgrading the same store
  // at once (collector and worker) made the second fail on a duplicate column.
  withServer('two stores opening the same new database at once both succeed', async () => {
    const database = nextDb();
    databases.push(database);
    const [a, b] = await Promise.all([
      ClickHouseServerEventStore.open({ url: CLICKHOUSE_URL, database }),
      ClickHouseServerEventStore.open({ url: CLICKHOUSE_URL, database }),
    ]);
    const res = await a.query(QUERIES.appliedMigrations, {});
    expect(res.ok && res.rows.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await Promise.all([a.shutdown(), b.shutdown()]);
  });

  withServer('sends a batch as soon as maxBatchRows rows wait, without waiting for the timer', async () => {
    const { store, database } = await open({ batching: { maxBatchRows: 50, flushIntervalMillis: 600_000 } });
    for (const e of events(120)) expect(store.appendEvents([e]).ok).toBe(true);
    await vi.waitFor(() => expect(store.stats().writtenRows).toBe(100), { timeout: 10_000 });
    expect(await count(database)).toBe(100);
    expect(store.stats().bufferedRows).toBe(20);
    await store.forceFlush();
    expect(await count(database)).toBe(120);
    await store.shutdown();
  });

  withServer('flushes small batches on the timer', async () => {
    const { store, database } = await open({ batching: { maxBatchRows: 10_000, flushIntervalMillis: 100 } });
    expect(store.appendEvents(events(5)).ok).toBe(true);
    await vi.waitFor(async () => expect(await count(database)).toBe(5), { timeout: 10_000, interval: 50 });
    await store.shutdown();
  });

  describe('through a fault-injecting proxy', () => {
    const proxy = new FaultProxy(CLICKHOUSE_URL);
    beforeAll(async () => {
      if (up) await proxy.start();
    });
    afterAll(() => proxy.close());

    withServer(
      'retries failed inserts (503, connection refused style) and writes each row once',
      async () => {
        const metrics = new StreamMetrics();
        const { store, database } = await open({
          url: proxy.url,
          metrics,
          batching: {
            maxBatchRows: 1_000,
            flushIntervalMillis: 50,
            retry: { maxAttempts: 6, initialDelayMillis: 10, maxDelayMillis: 50 },
          },
        });
        proxy.inject({
          match: (m, u) => m === 'POST' && /INSERT INTO events/.test(u),
          status: 503,
          body: 'Service Unavailable',
          times: 3,
        });
        expect(store.appendEvents(events(10)).ok).toBe(true);
        await store.forceFlush();
        expect(proxy.injected.filter((f) => f.sql.includes('INSERT INTO events'))).toHaveLength(3);
        expect(await count(database)).toBe(10);
        expect(metrics.value('store_flush_failures_total')).toBe(0); // absorbed by retries
        expect(store.isReady()).toBe(true);
        proxy.clear();
        await store.shutdown();
      },
    );

    withServer('keeps rows ClickHouse refuses for good as dead letters, and writes the rest', async () => {
      const { store, database } = await open({
        url: proxy.url,
        batching: { flushIntervalMillis: 50, retry: { maxAttempts: 2, initialDelayMillis: 5 } },
      });
      proxy.inject({
        match: (m, u) => m === 'POST' && /INSERT INTO findings/.test(u),
        status: 500,
        body: 'Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected , before: xyz, e.what() = DB::Exception',
      });
      expect(
        store.insertFindings([finding({ findingId: 'refused-1' }), finding({ findingId: 'refused-2' })]).ok,
      ).toBe(true);
      expect(store.appendEvents(events(3)).ok).toBe(true);
      await store.forceFlush();
      proxy.clear();
      expect(await count(database)).toBe(3);
      expect(await count(database, 'findings')).toBe(0);
      const dead = await store.query(QUERIES.deadLettersSince, {
        sinceMillis: 0,
        tenantId: 'acme',
        limit: 10,
      });
      expect(dead.ok && dead.rows.map((d) => d.source)).toEqual(['store.findings', 'store.findings']);
      expect(dead.ok && dead.rows.every((d) => d.reason.includes('Cannot parse input'))).toBe(true);
      await store.shutdown();
    });
  });
});

// ---------------------------------------------------------------- server stopped mid-load

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const withBinary = haveBinary
  ? it
  : unavailable(`no ClickHouse binary at ${serverBin}; run \`node scripts/clickhouse.mjs install\``);

describe('ClickHouse server stopped mid-load (`node scripts/clickhouse.mjs stop`, then `start`)', () => {
  // A private instance (own ports and data dir) so stopping it disturbs no other test using the shared one.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-ch-restart-'));
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  let url = '';
  const script = (cmd: 'start' | 'stop') =>
    run(process.execPath, [path.join(REPO, 'scripts/clickhouse.mjs'), cmd], {
      env,
      cwd: REPO,
      timeout: 90_000,
    });

  beforeAll(async () => {
    if (!haveBinary) return;
    const [http, tcp] = [await freePort(), await freePort()];
    Object.assign(env, {
      BULWARK_CLICKHOUSE_HTTP_PORT: String(http),
      BULWARK_CLICKHOUSE_TCP_PORT: String(tcp),
      BULWARK_CLICKHOUSE_DATA_DIR: dataDir,
    });
    url = `http://127.0.0.1:${http}`;
    await script('start');
  }, 120_000);
  afterAll(async () => {
    if (haveBinary) await script('stop').catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  withBinary(
    'ingest pushes back, nothing acknowledged is lost, and it catches up after restart',
    async () => {
      const metrics = new StreamMetrics();
      const store = await ClickHouseServerEventStore.open({
        url,
        database: 'bulwark_restart',
        requestTimeoutMillis: 3_000,
        metrics,
        batching: {
          maxBatchRows: 200,
          flushIntervalMillis: 50,
          maxBufferedRows: 2_000,
          forceFlushTimeoutMillis: 90_000,
          retry: { maxAttempts: 3, initialDelayMillis: 50, maxDelayMillis: 200, deadlineMillis: 2_000 },
          outageBackoffMillis: 100,
          maxOutageBackoffMillis: 1_000,
        },
      });
      const acked = new Set<string>();
      const refusedWhileDown = new Map<string, number>();
      let next = 0;
      let down = false;
      let restarted = false;
      let ackedAtRestart = Number.POSITIVE_INFINITY;
      // A live feed: keeps producing through the outage, and 1 000 more rows once the server is back.
      const producer = (async () => {
        while (acked.size < ackedAtRestart + 1_000) {
          const chunk = events(50, next, 'restart');
          const res = store.appendEvents(chunk);
          if (res.ok) {
            for (const e of chunk) acked.add(e.eventId);
            next += 50;
          } else if (down) refusedWhileDown.set(res.reason, (refusedWhileDown.get(res.reason) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, res.ok ? 10 : Math.min(200, res.retryAfterMillis)));
        }
      })();
      await vi.waitFor(() => expect(acked.size).toBeGreaterThanOrEqual(1_000), {
        timeout: 60_000,
        interval: 20,
      });
      await script('stop');
      down = true;
      // While it is down the buffer fills and writes are refused (pushed back), never dropped.
      await vi.waitFor(() => expect(store.isReady()).toBe(false), { timeout: 30_000, interval: 20 });
      await vi.waitFor(() => expect(refusedWhileDown.get('unavailable') ?? 0).toBeGreaterThan(0), {
        timeout: 30_000,
        interval: 20,
      });
      await script('start');
      down = false;
      restarted = true;
      ackedAtRestart = acked.size;
      await producer;
      await store.forceFlush();
      expect(metrics.value('store_flush_failures_total')).toBeGreaterThan(0);
      expect(metrics.value('store_rows_rejected_total')).toBeGreaterThan(0);
      expect(restarted).toBe(true);
      const stored = (
        await clickhouseSql('SELECT event_id FROM bulwark_restart.events FINAL FORMAT TSV', url)
      )
        .trim()
        .split('\n');
      expect(stored.length).toBe(acked.size);
      const storedIds = new Set(stored);
      const missing = [...acked].filter((id) => !storedIds.has(id));
      expect(missing).toEqual([]);
      const res = await store.query(QUERIES.tenantStats, { tenantId: 'acme' });
      expect(res.ok && res.rows.find((r) => r.table === 'events')).toEqual({
        table: 'events',
        rows: acked.size,
        distinctIds: acked.size,
      });
      expect(store.isReady()).toBe(true);
      await store.shutdown();
    },
    180_000,
  );
});
