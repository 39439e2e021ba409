// Issue 12: the enforced decision is the record. A tool call keeps what the client enforced (fallbacks
// included), the inline decision and whether they differ — on chdb and on the old server (18.16), and a store
// created before (v1..v3 on disk) migrates additively with its old rows readable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AgentEvent, AgentEventSchema } from '@bulwark/contracts';
import {
  ChdbEventStore,
  ClickHouseServerEventStore,
  type EventStore,
  MIGRATIONS,
  QUERIES,
} from '@bulwark/stream';
import { afterAll, describe, expect, it } from 'vitest';
import { toolCallRow } from '../src/store/store-rows.js';
import { CLICKHOUSE_URL, clickhouseUp } from './fixtures/sample-records.js';

const NOW = Date.now();
const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-enforced-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Target {
  name: string;
  modern: boolean;
  open(database: string): Promise<EventStore>;
  sql(database: string, statements: string[]): Promise<string>;
}

const chdbTarget: Target = {
  name: 'chdb (embedded)',
  modern: true,
  open: (database) => ChdbEventStore.open({ dataDir, database }),
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
  open: (database) => {
    serverDbs.push(database);
    return ClickHouseServerEventStore.open({
      url: CLICKHOUSE_URL,
      database,
      batching: { flushIntervalMillis: 100 },
    });
  },
  async sql(database, statements) {
    serverDbs.push(database);
    await fetch(`${CLICKHOUSE_URL}/`, { method: 'POST', body: `CREATE DATABASE IF NOT EXISTS ${database}` });
    let last = '';
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

function call(toolCallId: string, t: number, enforced?: unknown): AgentEvent {
  return AgentEventSchema.parse({
    kind: 'tool_call',
    eventId: `e-${toolCallId}`,
    tenantId: 'acme',
    sessionId: 's1',
    timestampMillis: t,
    toolCallId,
    toolName: 'send_email',
    arguments: { to: 'a@example.com' },
    ...(enforced ? { enforced } : {}),
  });
}

const prefix = `bw_enf_${process.pid}_${Date.now().toString(36)}`;
let n = 0;

for (const [target, available] of [
  [chdbTarget, true],
  [serverTarget, serverUp],
] as const) {
  describe.skipIf(!available)(`enforced decisions: ${target.name}`, () => {
    it('keeps inline and enforced decisions per call, counts fallbacks, and migrates a v3 store additively', async () => {
      const database = `${prefix}_${n++}`;
      const schema = {
        dialect: target.modern ? ('modern' as const) : ('legacy' as const),
        retentionDays: 30,
      };
      const before = MIGRATIONS.filter((m) => m.version <= 3);
      const old = call('c-old', NOW - 60_000);
      const oldRow = toolCallRow(old, NOW)!;
      await target.sql(database, [
        'CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at_ms UInt64) ENGINE = ReplacingMergeTree ORDER BY version',
        ...before.flatMap((m) => m.statements(schema)),
        ...before.flatMap((m) =>
          (m.addColumns ?? []).map((a) => `ALTER TABLE ${a.table} ADD COLUMN ${a.column} ${a.definition}`),
        ),
        `INSERT INTO schema_migrations FORMAT JSONEachRow ${before.map((m) => JSON.stringify({ version: m.version, name: m.name, applied_at_ms: 1 })).join(' ')}`,
        `INSERT INTO tool_calls FORMAT JSONEachRow ${JSON.stringify(oldRow)}`,
      ]);

      const store = await target.open(database);
      const applied = await store.query(QUERIES.appliedMigrations, {});
      expect(applied.ok && applied.rows.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
      const events = [
        // Refused by the SDK's fallback; the collector answered allow too late.
        call('c-timeout', NOW - 3_000, {
          decision: 'block',
          source: 'fallback_timeout',
          reason: 'no verdict within 250 ms',
          inlineDecision: 'allow',
        }),
        call('c-verdict', NOW - 2_000, { decision: 'allow', source: 'verdict', verdictDecision: 'allow' }),
        call('c-down', NOW - 1_000, { decision: 'block', source: 'fallback_unavailable' }),
        call('c-plain', NOW - 500),
      ];
      // The span and the verdict request carry the same call: stored once.
      expect(store.appendEvents([...events, events[0]!]).ok).toBe(true);
      await store.forceFlush();

      const calls = await store.query(QUERIES.sessionToolCalls, { tenantId: 'acme', sessionId: 's1' });
      expect(calls.ok).toBe(true);
      const byId = new Map(calls.ok ? calls.rows.map((r) => [r.toolCallId, r]) : []);
      expect(byId.size).toBe(5);
      expect(byId.get('c-timeout')).toMatchObject({
        enforcedDecision: 'block',
        enforcedSource: 'fallback_timeout',
        enforcedReason: 'no verdict within 250 ms',
        inlineDecision: 'allow',
        differs: true,
      });
      expect(byId.get('c-verdict')).toMatchObject({
        enforcedDecision: 'allow',
        enforcedSource: 'verdict',
        inlineDecision: 'allow',
        differs: false,
      });
      expect(byId.get('c-down')).toMatchObject({
        enforcedDecision: 'block',
        inlineDecision: '',
        differs: true,
      });
      // Not reported, and written before v4: empty.
      for (const id of ['c-plain', 'c-old'])
        expect(byId.get(id)).toMatchObject({ enforcedDecision: '', enforcedSource: '', differs: false });

      const counts = await store.query(QUERIES.enforcedDecisions, {
        tenantId: '',
        sinceMillis: NOW - 3_600_000,
        untilMillis: NOW + 60_000,
      });
      expect(counts.ok && counts.rows).toEqual([
        { tenantId: 'acme', source: 'fallback_timeout', decision: 'block', calls: 1, differing: 1 },
        { tenantId: 'acme', source: 'fallback_unavailable', decision: 'block', calls: 1, differing: 1 },
        { tenantId: 'acme', source: 'verdict', decision: 'allow', calls: 1, differing: 0 },
      ]);
      const refused = await store.query(QUERIES.refusedToolCalls, {
        tenantId: '',
        sinceMillis: NOW - 3_600_000,
        untilMillis: NOW + 60_000,
        limit: 10,
      });
      // Newest first, each call once.
      expect(
        refused.ok && refused.rows.map((r) => [r.toolCallId, r.enforcedSource, r.inlineDecision]),
      ).toEqual([
        ['c-down', 'fallback_unavailable', ''],
        ['c-timeout', 'fallback_timeout', 'allow'],
      ]);
      await store.shutdown();
      // Re-opening is a no-op: the columns are there.
      const again = await target.open(database);
      await again.shutdown();
      const cols = await target.sql(database, [
        "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = 'tool_calls' AND name IN ('enforced_decision', 'enforced_source', 'enforced_reason', 'inline_decision', 'enforced_differs')",
      ]);
      expect(cols.trim()).toBe('5');
    });
  });
}
