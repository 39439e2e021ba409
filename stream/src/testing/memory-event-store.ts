import type { Logger } from '../logger.js';
import type { BatchingWriterOptions } from '../store/batching-writer.js';
import { BufferedEventStore } from '../store/buffered-event-store.js';
import type { EventStore, QueryResult } from '../store/event-store.js';
import type { StoreQuery } from '../store/queries.js';
import { MIGRATIONS, type SqlDialect, type WritableTable } from '../store/schema.js';
import type { Row } from '../store/store-rows.js';

export interface MemoryEventStoreOptions {
  /** Stores opened on the same name (in this process) share their data, like a ClickHouse database. */
  database?: string;
  /** Ignored (no TTL in memory); accepted so the contract options fit. */
  retentionDays?: number;
  /** Batching and backpressure, exactly as the SQL stores do it (the same `BatchingWriter`). */
  batching?: Omit<BatchingWriterOptions, 'insert' | 'logger' | 'metrics' | 'now'>;
  logger?: Logger;
  now?: () => number;
}

interface Database {
  tables: Map<WritableTable, Map<string, Row>>;
  appliedAtMillis: number;
}

/** The columns a raw table dedupes on (its ReplacingMergeTree key): a second write of a key replaces the first. */
const KEYS: Record<WritableTable, readonly string[]> = {
  events: ['tenant_id', 'session_id', 'event_id'],
  tool_calls: ['tenant_id', 'session_id', 'tool_call_id', 'event_id'],
  verdicts: ['tenant_id', 'session_id', 'verdict_id'],
  findings: ['tenant_id', 'session_id', 'finding_id'],
  alerts: ['tenant_id', 'dedup_key', 'alert_id'],
  dead_letters: ['tenant_id', 'source', 'dead_letter_id'],
};

const databases = new Map<string, Database>();

/** A raw table's insert: a row replaces the one with the same key (what `FINAL` shows). */
function insertRows(tables: Database['tables'], table: WritableTable, rows: readonly Row[]): void {
  let t = tables.get(table);
  if (!t) {
    t = new Map();
    tables.set(table, t);
  }
  for (const r of rows) t.set(JSON.stringify(KEYS[table].map((k) => r[k])), { ...r });
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));
/** ClickHouse's `ORDER BY a, b DESC, ...` over rows: `[column, 'asc' | 'desc']` pairs. */
function sortRows(rows: Row[], order: ReadonlyArray<readonly [string, 'asc' | 'desc']>): Row[] {
  return rows.sort((a, b) => {
    for (const [col, dir] of order) {
      const x = a[col];
      const y = b[col];
      const c =
        typeof x === 'number' && typeof y === 'number'
          ? x - y
          : str(x) < str(y)
            ? -1
            : str(x) > str(y)
              ? 1
              : 0;
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    return 0;
  });
}
const anyTenant = (p: Record<string, unknown>) => (r: Row) => p.tenantId === '' || r.tenant_id === p.tenantId;
const sameSession = (p: Record<string, unknown>) => (r: Row) =>
  r.tenant_id === p.tenantId && r.session_id === p.sessionId;
const limit = (rows: Row[], p: Record<string, unknown>) => rows.slice(0, num(p.limit));

/**
 * An `EventStore` in memory, for tests of code that uses a store (no chdb, no server): the same rows, the
 * same batching and backpressure (`BatchingWriter`), and every named query answered in JavaScript with the
 * semantics of the SQL (dedupe by id as `FINAL` does, the trend aggregates as their views compute them). It
 * passes the EventStore contract suite. `kind` is `'chdb'` (the embedded kind; the union is closed).
 *
 * @example
 * const store = await MemoryEventStore.open();
 * store.appendEvents(events);
 * await store.forceFlush();
 * const res = await store.query(QUERIES.sessionEvents, { tenantId: 't', sessionId: 's' });
 */
export class MemoryEventStore extends BufferedEventStore implements EventStore {
  readonly kind = 'chdb' as const;
  readonly dialect: SqlDialect = 'modern';
  private readonly db: Database;

  constructor(options: MemoryEventStoreOptions = {}) {
    const now = options.now ?? Date.now;
    const name = options.database ?? `memory_${databases.size}_${Math.random().toString(36).slice(2)}`;
    let db = databases.get(name);
    if (!db) {
      db = { tables: new Map(), appliedAtMillis: now() };
      databases.set(name, db);
    }
    const tables = db.tables;
    super({
      ...options.batching,
      insert: async (table, rows) => insertRows(tables, table, rows),
      ...(options.logger ? { logger: options.logger } : {}),
      now,
    });
    this.db = db;
  }

  /** Same shape as the SQL stores' `open`. */
  static async open(options: MemoryEventStoreOptions = {}): Promise<MemoryEventStore> {
    return new MemoryEventStore(options);
  }

  /** Forgets a database (the contract suite's `dropDatabase`). */
  static drop(database: string): void {
    databases.delete(database);
  }

  async query<P extends Record<string, unknown>, R>(q: StoreQuery<P, R>, params: P): Promise<QueryResult<R>> {
    const refused = this.refuseQuery(q, params);
    if (refused) return refused;
    const run = this.queries[q.name];
    if (!run)
      return {
        ok: false,
        reason: 'invalid',
        retryAfterMillis: 0,
        message: `${q.name}: not a query MemoryEventStore knows`,
      };
    try {
      return { ok: true, rows: run(params).map(q.decodeRow) };
    } catch (err) {
      return {
        ok: false,
        reason: 'invalid',
        retryAfterMillis: 0,
        message: `${q.name}: a row does not decode: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    try {
      await this.writer.shutdown();
    } finally {
      this.closed = true;
    }
  }

  private rows(table: WritableTable): Row[] {
    return [...(this.db.tables.get(table)?.values() ?? [])];
  }

  /** Each named query over the rows, returning rows shaped like the SQL's, decoded by the query's own decoder. */
  private readonly queries: Record<string, (p: Record<string, unknown>) => Row[]> = {
    sessionEvents: (p) =>
      sortRows(this.rows('events').filter(sameSession(p)), [
        ['timestamp_ms', 'asc'],
        ['event_id', 'asc'],
      ]),
    storedSessions: (p) => {
      const wanted = new Set(p.sessionIds as string[]);
      const ids = new Set(
        this.rows('events')
          .filter((r) => r.tenant_id === p.tenantId && wanted.has(str(r.session_id)))
          .map((r) => str(r.session_id)),
      );
      return [...ids].map((session_id) => ({ session_id }));
    },
    sessionVerdicts: (p) =>
      sortRows(this.rows('verdicts').filter(sameSession(p)), [
        ['timestamp_ms', 'asc'],
        ['verdict_id', 'asc'],
      ]),
    sessionToolCalls: (p) =>
      sortRows(this.rows('tool_calls').filter(sameSession(p)), [
        ['timestamp_ms', 'asc'],
        ['tool_call_id', 'asc'],
      ]),
    refusedToolCalls: (p) =>
      limit(
        sortRows(
          this.rows('tool_calls').filter(
            (r) =>
              anyTenant(p)(r) &&
              r.enforced_decision === 'block' &&
              str(r.enforced_source) !== '' &&
              r.enforced_source !== 'verdict' &&
              num(r.timestamp_ms) >= num(p.sinceMillis) &&
              num(r.timestamp_ms) < num(p.untilMillis),
          ),
          [
            ['timestamp_ms', 'desc'],
            ['tool_call_id', 'asc'],
          ],
        ),
        p,
      ),
    enforcedDecisions: (p) => {
      const groups = new Map<string, { row: Row; calls: Set<string>; differing: Set<string> }>();
      for (const r of this.rows('tool_calls')) {
        if (!anyTenant(p)(r) || str(r.enforced_source) === '') continue;
        if (num(r.timestamp_ms) < num(p.sinceMillis) || num(r.timestamp_ms) >= num(p.untilMillis)) continue;
        const key = JSON.stringify([r.tenant_id, r.enforced_source, r.enforced_decision]);
        let g = groups.get(key);
        if (!g) {
          g = {
            row: {
              tenant_id: r.tenant_id,
              enforced_source: r.enforced_source,
              enforced_decision: r.enforced_decision,
            },
            calls: new Set(),
            differing: new Set(),
          };
          groups.set(key, g);
        }
        const call = JSON.stringify([r.session_id, r.tool_call_id]);
        g.calls.add(call);
        if (num(r.enforced_differs) === 1) g.differing.add(call);
      }
      return sortRows(
        [...groups.values()].map((g) => ({ ...g.row, calls: g.calls.size, differing: g.differing.size })),
        [
          ['tenant_id', 'asc'],
          ['enforced_source', 'asc'],
          ['enforced_decision', 'asc'],
        ],
      );
    },
    sessionFindings: (p) =>
      sortRows(this.rows('findings').filter(sameSession(p)), [
        ['timestamp_ms', 'asc'],
        ['finding_id', 'asc'],
      ]),
    findingsSince: (p) => this.since('findings', p, 'finding_id'),
    incidentAlerts: (p) =>
      limit(
        sortRows(
          this.rows('alerts').filter((r) => r.tenant_id === p.tenantId && r.dedup_key === p.dedupKey),
          [
            ['timestamp_ms', 'desc'],
            ['severity_rank', 'desc'],
            ['alert_id', 'asc'],
          ],
        ),
        p,
      ),
    alertsSince: (p) => this.since('alerts', p, 'alert_id'),
    deadLettersSince: (p) => this.since('dead_letters', p, 'dead_letter_id'),
    sessionsActiveSince: (p) =>
      limit(
        sortRows(
          this.sessions(p).filter((s) => num(s.last_seen) >= num(p.sinceMillis)),
          [
            ['last_seen', 'desc'],
            ['tenant_id', 'asc'],
            ['session_id', 'asc'],
          ],
        ),
        p,
      ),
    sessionsAtRisk: (p) =>
      limit(
        sortRows(
          this.sessions(p).filter(
            (s) => num(s.last_seen) >= num(p.sinceMillis) && num(s.severity_rank) >= num(p.minSeverityRank),
          ),
          [
            ['severity_rank', 'desc'],
            ['blocking_finding_count', 'desc'],
            ['last_seen', 'desc'],
            ['session_id', 'asc'],
          ],
        ),
        p,
      ),
    decisionsPerMinute: (p) => {
      const from = Math.floor(num(p.sinceMillis) / 60_000) * 60;
      const groups = new Map<string, { row: Row; ids: Set<string> }>();
      for (const r of this.rows('verdicts')) {
        const minute = Math.floor(num(r.event_time) / 60) * 60;
        if (!anyTenant(p)(r) || minute < from) continue;
        const detectors = (r.detector_ids as string[]).length > 0 ? (r.detector_ids as string[]) : [''];
        for (const detector_id of detectors) {
          const row = {
            tenant_id: r.tenant_id,
            minute_ms: minute * 1000,
            detector_id,
            agent_id: r.agent_id,
            decision: r.decision,
            origin: r.origin,
          };
          const key = JSON.stringify(Object.values(row));
          const g = groups.get(key) ?? { row, ids: new Set<string>() };
          g.ids.add(str(r.verdict_id));
          groups.set(key, g);
        }
      }
      return limit(
        sortRows(
          [...groups.values()].map((g) => ({ ...g.row, decisions: g.ids.size })),
          ['minute_ms', 'tenant_id', 'detector_id', 'agent_id', 'decision', 'origin'].map(
            (c) => [c, 'asc'] as const,
          ),
        ),
        p,
      );
    },
    topBlockedTools: (p) => {
      const fromDay = Math.floor(num(p.sinceMillis) / 86_400_000);
      const groups = new Map<string, { row: Row; calls: Set<string>; sessions: Set<string> }>();
      for (const r of this.rows('verdicts')) {
        if (!anyTenant(p)(r) || r.decision !== 'block') continue;
        if (Math.floor(num(r.event_time) / 86_400) < fromDay) continue;
        const key = JSON.stringify([r.tenant_id, r.tool_name]);
        const g = groups.get(key) ?? {
          row: { tenant_id: r.tenant_id, tool_name: r.tool_name },
          calls: new Set<string>(),
          sessions: new Set<string>(),
        };
        g.calls.add(`${str(r.session_id)}/${str(r.tool_call_id)}`);
        g.sessions.add(str(r.session_id));
        groups.set(key, g);
      }
      return limit(
        sortRows(
          [...groups.values()].map((g) => ({
            ...g.row,
            blocked: g.calls.size,
            session_count: g.sessions.size,
          })),
          [
            ['blocked', 'desc'],
            ['tenant_id', 'asc'],
            ['tool_name', 'asc'],
          ],
        ),
        p,
      );
    },
    tenantStats: (p) =>
      (
        [
          ['alerts', 'alerts', ['alert_id']],
          ['dead_letters', 'dead_letters', ['dead_letter_id']],
          ['events', 'events', ['session_id', 'event_id']],
          ['findings', 'findings', ['session_id', 'finding_id']],
          ['tool_calls', 'tool_calls', ['session_id', 'tool_call_id']],
          ['verdicts', 'verdicts', ['session_id', 'verdict_id']],
        ] as const
      ).map(([label, table, id]) => {
        const rows = this.rows(table).filter((r) => r.tenant_id === p.tenantId);
        const ids = new Set(rows.map((r) => JSON.stringify(id.map((c) => r[c]))));
        return { table_name: label, row_count: rows.length, distinct_ids: ids.size };
      }),
    // No TTL in memory: every table, without retention.
    tableRetention: () =>
      Object.keys(KEYS)
        .sort()
        .map((name) => ({ name, engine_full: 'Memory' })),
    appliedMigrations: () =>
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at_ms: this.db.appliedAtMillis })),
  };

  private since(table: WritableTable, p: Record<string, unknown>, id: string): Row[] {
    return limit(
      sortRows(
        this.rows(table).filter((r) => anyTenant(p)(r) && num(r.timestamp_ms) >= num(p.sinceMillis)),
        [
          ['timestamp_ms', 'desc'],
          [id, 'asc'],
        ],
      ),
      p,
    );
  }

  /** The `sessions` aggregate as its materialized views build it, per tenant and session. */
  private sessions(p: Record<string, unknown>): Row[] {
    interface Agg {
      tenant_id: unknown;
      session_id: unknown;
      agent: string;
      first: number | undefined;
      last: number;
      events: Set<string>;
      calls: Set<string>;
      findings: Set<string>;
      blocking: Set<string>;
      rank: number;
    }
    const out = new Map<string, Agg>();
    const agg = (r: Row): Agg => {
      const key = JSON.stringify([r.tenant_id, r.session_id]);
      let a = out.get(key);
      if (!a) {
        a = {
          tenant_id: r.tenant_id,
          session_id: r.session_id,
          agent: '',
          first: undefined,
          last: 0,
          events: new Set(),
          calls: new Set(),
          findings: new Set(),
          blocking: new Set(),
          rank: 0,
        };
        out.set(key, a);
      }
      return a;
    };
    const tenant = anyTenant(p);
    for (const r of this.rows('events').filter(tenant)) {
      const a = agg(r);
      const t = num(r.timestamp_ms);
      if (str(r.agent_id) > a.agent) a.agent = str(r.agent_id);
      a.first = a.first === undefined ? t : Math.min(a.first, t);
      a.last = Math.max(a.last, t);
      a.events.add(str(r.event_id));
    }
    for (const r of this.rows('tool_calls').filter(tenant)) agg(r).calls.add(str(r.tool_call_id));
    for (const r of this.rows('findings').filter(tenant)) {
      const a = agg(r);
      if (str(r.agent_id) > a.agent) a.agent = str(r.agent_id);
      a.findings.add(str(r.finding_id));
      if (r.decision === 'block') a.blocking.add(str(r.finding_id));
      a.rank = Math.max(a.rank, num(r.severity_rank));
    }
    return [...out.values()].map((a) => ({
      tenant_id: a.tenant_id,
      session_id: a.session_id,
      agent: a.agent,
      first_seen: a.first ?? 0,
      last_seen: a.last,
      event_count: a.events.size,
      tool_call_count: a.calls.size,
      finding_count: a.findings.size,
      blocking_finding_count: a.blocking.size,
      severity_rank: a.rank,
    }));
  }
}
