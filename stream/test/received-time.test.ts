// Issue 16 defect 3: spans that claim 1970, 40 days ago or 2200 are accepted, so they must be stored, found
// and kept by received time — on chdb (ClickHouse 26.x) and on the old server (18.16) — and a store created by
// the schema before received time (v1+v2 on disk) must keep working after the additive migration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AgentEvent, stampReceivedTimes } from '@bulwark/contracts';
import {
  ChdbEventStore,
  ClickHouseServerEventStore,
  type EventStore,
  MIGRATIONS,
  QUERIES,
  runRetroHunt,
  StreamMetrics,
} from '@bulwark/stream';
import { afterAll, describe, expect, it } from 'vitest';
import { eventRow } from '../src/store/store-rows.js';
import { CLICKHOUSE_URL, clickhouseUp, injectionSession } from './fixtures/sample-records.js';

const DAY = 86_400_000;
const NOW = Date.now();
const CLAIMS: [string, number][] = [
  ['1970', 0],
  ['40 days ago', NOW - 40 * DAY],
  ['2200', Date.UTC(2200, 0, 1)],
];

interface Target {
  name: string;
  open(database: string, metrics?: StreamMetrics): Promise<EventStore>;
  /** Raw SQL in `database` (chdb: only while no store holds the directory). */
  sql(database: string, statements: string[]): Promise<string>;
  modern: boolean;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-received-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const chdbTarget: Target = {
  name: 'chdb (embedded)',
  modern: true,
  open: (database, metrics) =>
    ChdbEventStore.open({ dataDir, database, retentionDays: 30, ...(metrics ? { metrics } : {}) }),
  async sql(database, statements) {
    const chdb = await import('chdb');
    const session = new chdb.Session(dataDir);
    try {
      await session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${database}`);
      await session.queryAsync(`USE ${database}`);
      let last = '';
      for (const s of statements) last = (await session.queryAsync(s, { format: 'TSV' })).text();
      return last;
    } finally {
      session.close();
      await chdb.drainPending();
    }
  },
};

const serverUp = await clickhouseUp();
const serverDbs: string[] = [];
const serverTarget: Target = {
  name: `ClickHouse server ${CLICKHOUSE_URL}`,
  modern: false,
  open: (database, metrics) => {
    serverDbs.push(database);
    return ClickHouseServerEventStore.open({
      url: CLICKHOUSE_URL,
      database,
      retentionDays: 30,
      batching: { flushIntervalMillis: 100 },
      ...(metrics ? { metrics } : {}),
    });
  },
  async sql(database, statements) {
    serverDbs.push(database);
    let last = '';
    await fetch(`${CLICKHOUSE_URL}/`, { method: 'POST', body: `CREATE DATABASE IF NOT EXISTS ${database}` });
    for (const s of statements) {
      const res = await fetch(`${CLICKHOUSE_URL}/?database=${database}`, { method: 'POST', body: s });
      last = await res.text();
      if (!res.ok) throw new Error(`ClickHouse: ${last}`);
    }
    return last;
  },
};
afterAll(async () => {
  for (const db of serverDbs)
    await fetch(`${CLICKHOUSE_URL}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${db}` }).catch(
      () => {},
    );
});

const prefix = `bw_recv_${process.pid}_${Date.now().toString(36)}`;
let n = 0;

/** Sessions whose spans claim far times, stamped as the collector's trace ingest does. */
function skewedSessions(stamp: boolean): { events: AgentEvent[]; sessions: string[] } {
  const events: AgentEvent[] = [];
  const sessions: string[] = [];
  for (const [label, claimed] of CLAIMS) {
    const sessionId = `s-${label.replace(/\W/g, '')}-${stamp ? 'stamped' : 'raw'}`;
    sessions.push(sessionId);
    // One export request per session, as an SDK batch would send it.
    const batch = injectionSession('acme', sessionId, claimed);
    if (stamp) expect(stampReceivedTimes(batch, NOW)).toBe(batch.length);
    events.push(...batch);
  }
  return { events, sessions };
}

const targets: [Target, boolean][] = [
  [chdbTarget, true],
  [serverTarget, serverUp],
];

for (const [target, available] of targets) {
  describe.skipIf(!available)(`received time: ${target.name}`, () => {
    it('stores spans claiming 1970, 40 days ago and 2200 by received time: found by queries and hunt, kept by retention', async () => {
      const database = `${prefix}_${n++}`;
      const metrics = new StreamMetrics();
      const store = await target.open(database, metrics);
      const stamped = skewedSessions(true);
      // Not stamped by a collector (another producer): the store still keeps them by received time.
      const raw = skewedSessions(false);
      expect(store.appendEvents([...stamped.events, ...raw.events]).ok).toBe(true);
      await store.forceFlush();

      const stats = await store.query(QUERIES.tenantStats, { tenantId: 'acme' });
      const total = stamped.events.length + raw.events.length;
      expect(stats.ok && stats.rows.find((r) => r.table === 'events')).toMatchObject({
        rows: total,
        distinctIds: total,
      });
      // Only the unstamped ones are counted here; the collector counts what it clamps.
      expect(metrics.value('store_events_clock_skew_total')).toBe(raw.events.length);

      for (const sessionId of stamped.sessions) {
        const res = await store.query(QUERIES.sessionEvents, { tenantId: 'acme', sessionId });
        expect(res.ok && res.rows.length, sessionId).toBe(injectionSession('acme', sessionId, 0).length);
        // Clamped together: in order, the last one at the received time, the claim kept.
        if (res.ok) {
          expect(res.rows.map((e) => e.eventId)).toEqual(
            injectionSession('acme', sessionId, 0).map((e) => e.eventId),
          );
          // Past claims end on the received time, future ones start on it.
          expect(res.rows.map((e) => e.timestampMillis)).toContain(NOW);
          for (const e of res.rows) expect(Math.abs(e.timestampMillis - NOW)).toBeLessThan(60_000);
          for (const e of res.rows) expect(e.claimedTimestampMillis).toBeDefined();
        }
      }
      // Hunt over the last hour (received-time window) finds every clamped session and the attack in it.
      const active = await store.query(QUERIES.sessionsActiveSince, {
        tenantId: 'acme',
        sinceMillis: NOW - 3_600_000,
        limit: 100,
      });
      expect(active.ok && active.rows.map((r) => r.sessionId).sort()).toEqual(
        expect.arrayContaining(stamped.sessions),
      );
      const hunt = await runRetroHunt({ store, sinceMillis: NOW - 3_600_000, tenantId: 'acme' });
      expect(hunt.ok && hunt.report.sessions.map((r) => r.sessionId)).toEqual(
        expect.arrayContaining(stamped.sessions),
      );
      await store.shutdown();

      const q = (sql: string) => target.sql(database, [sql]);
      // Every row: received time is now, event_time a real DateTime (no 2200 overflow), the claim kept.
      const summary = await q(
        `SELECT count(), min(received_time) >= toDateTime(${Math.floor(NOW / 1000) - 60}), max(event_time) <= toDateTime(${Math.floor(NOW / 1000) + 60}), sum(clock_skew), countIf(claimed_timestamp_ms >= ${Date.UTC(2200, 0, 1)}) FROM events FINAL`,
      );
      const [rows, receivedNow, noOverflow, skewFlags, claimed2200] = summary.trim().split('\t').map(Number);
      expect({ rows, receivedNow, noOverflow, skewFlags }).toEqual({
        rows: total,
        receivedNow: 1,
        noOverflow: 1,
        skewFlags: total,
      });
      expect(claimed2200).toBe(2 * injectionSession('acme', 'x', 0).length);

      if (target.modern) {
        // Retention keys on received time: a TTL merge keeps everything received now, whatever it claims.
        const after = await target.sql(database, [
          'OPTIMIZE TABLE events FINAL',
          'SELECT count() FROM events',
        ]);
        expect(Number(after.trim())).toBe(total);
        const ttl = await q(
          "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
        );
        expect(ttl).toMatch(/TTL received_time \+ toIntervalDay\(30\)/);
      }
    });

    it('migrates a store created before received time (v1+v2 on disk) additively, old rows readable', async () => {
      const database = `${prefix}_${n++}`;
      const schema = {
        dialect: target.modern ? ('modern' as const) : ('legacy' as const),
        retentionDays: 30,
      };
      const old = injectionSession('acme', 's-old', NOW - 60_000);
      const oldRows = old.map((e) => {
        const {
          received_at_ms: _a,
          received_time: _b,
          claimed_timestamp_ms: _c,
          clock_skew: _d,
          ...row
        } = eventRow(e, NOW);
        return JSON.stringify(row);
      });
      await target.sql(database, [
        'CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at_ms UInt64) ENGINE = ReplacingMergeTree ORDER BY version',
        ...MIGRATIONS.filter((m) => m.version <= 2).flatMap((m) => m.statements(schema)),
        `INSERT INTO schema_migrations FORMAT JSONEachRow ${JSON.stringify({ version: 1, name: 'v1', applied_at_ms: 1 })} ${JSON.stringify({ version: 2, name: 'v2', applied_at_ms: 1 })}`,
        `INSERT INTO events FORMAT JSONEachRow ${oldRows.join(' ')}`,
      ]);

      const store = await target.open(database);
      const applied = await store.query(QUERIES.appliedMigrations, {});
      expect(applied.ok && applied.rows.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const before = await store.query(QUERIES.sessionEvents, { tenantId: 'acme', sessionId: 's-old' });
      expect(before.ok && before.rows).toEqual(old);
      const fresh = skewedSessions(true);
      expect(store.appendEvents(fresh.events).ok).toBe(true);
      await store.shutdown();
      // Re-opening is a no-op (columns already there), and old rows read their own time as received time.
      const again = await target.open(database);
      await again.shutdown();
      const cols = await target.sql(database, [
        "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name IN ('received_at_ms', 'received_time', 'claimed_timestamp_ms', 'clock_skew')",
      ]);
      expect(cols.trim()).toBe('4');
      const oldRow = await target.sql(database, [
        "SELECT received_at_ms = timestamp_ms, received_time = event_time, clock_skew FROM events FINAL WHERE session_id = 's-old' LIMIT 1",
      ]);
      expect(oldRow.trim().split('\t')).toEqual(['1', '1', '0']);
    });
  });
}
