import { isRetriable, retry } from '@bulwark/contracts';
import { StoreError } from '../errors.js';
import { errorMessage, type Logger, silentLogger } from '../logger.js';
import type { StreamMetrics } from '../worker/stream-metrics.js';
import type { BatchingWriterOptions } from './batching-writer.js';
import { BufferedEventStore } from './buffered-event-store.js';
import type { EventStore, QueryResult } from './event-store.js';
import { inlineParams, QUERIES, type StoreQuery } from './queries.js';
import {
  type ColumnAddition,
  MIGRATIONS,
  type SchemaOptions,
  type SqlDialect,
  schemaMigrationsDdl,
  TABLES,
  TTL_COLUMNS,
  ttlClause,
} from './schema.js';
import type { Row } from './store-rows.js';

/**
 * What a store needs from a ClickHouse engine. One implementation per third-party client (chdb,
 * @clickhouse/client), each in its own file. Errors are `StoreError`s with `retriable` set when trying again
 * may help (connection refused, timeouts, 5xx), not for bad SQL or bad data.
 */
export interface SqlDriver {
  /** `SELECT version()` of the engine, e.g. `18.16.1` or `26.7.2.1`. */
  version(): Promise<string>;
  /** DDL and other statements without a result. */
  command(sql: string): Promise<void>;
  /** Inserts rows (each key a column, values as `JSONEachRow` would carry them; the driver picks the wire format). */
  insert(table: string, rows: readonly Row[]): Promise<void>;
  /** Runs a SELECT; `params` are bound by the engine (empty when the SQL was inlined). */
  select(sql: string, params: Record<string, unknown>): Promise<Row[]>;
  close(): Promise<void>;
}

/** Options shared by both stores. */
export interface SqlEventStoreOptions {
  /** Days of retention (TTL; modern dialect). Default 30. */
  retentionDays?: number;
  /** DDL dialect; default: detected from the engine version (`legacy` below 20). */
  dialect?: SqlDialect;
  /** Batching and retry of writes. */
  batching?: Omit<BatchingWriterOptions, 'insert' | 'logger' | 'metrics' | 'now'>;
  /** Attempts to apply the schema at start (a server may still be starting). Default 10 within 30 s. */
  startRetry?: { maxAttempts?: number; deadlineMillis?: number };
  logger?: Logger;
  metrics?: StreamMetrics;
  now?: () => number;
}

/** Major version of a `version()` string. */
export function majorVersion(version: string): number {
  const n = Number.parseInt(version.split('.')[0] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/**
 * `legacy` below ClickHouse 20 (no TTL, no LowCardinality by default, no query parameters).
 *
 * @example
 * dialectFor('18.16.1'); // 'legacy'
 */
export function dialectFor(version: string): SqlDialect {
  return majorVersion(version) < 20 ? 'legacy' : 'modern';
}

/**
 * The event store over any `SqlDriver`: one schema, one set of SQL, batching and retries shared by the
 * embedded and the server store. Use `ChdbEventStore.open()` or `ClickHouseServerEventStore.open()`.
 *
 * @example
 * const store: SqlEventStore = await ChdbEventStore.open();
 * console.log(store.dialect, store.stats().bufferedRows);
 */
export class SqlEventStore extends BufferedEventStore implements EventStore {
  readonly kind: 'chdb' | 'server';
  private _dialect: SqlDialect = 'modern';
  protected readonly driver: SqlDriver;
  protected readonly log: Logger;
  private readonly options: SqlEventStoreOptions;

  protected constructor(kind: 'chdb' | 'server', driver: SqlDriver, options: SqlEventStoreOptions) {
    const log = (options.logger ?? silentLogger).child({ component: `event-store-${kind}` });
    super({
      ...options.batching,
      insert: (table, rows) => driver.insert(table, rows),
      logger: log,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.kind = kind;
    this.driver = driver;
    this.options = options;
    this.log = log;
  }

  get dialect(): SqlDialect {
    return this._dialect;
  }

  /** Detects the dialect, applies pending migrations in order and aligns retention. Idempotent. */
  protected async start(): Promise<void> {
    const version = await retry(() => this.driver.version(), {
      maxAttempts: this.options.startRetry?.maxAttempts ?? 10,
      deadlineMillis: this.options.startRetry?.deadlineMillis ?? 30_000,
      shouldRetry: (err) => isRetriable(err),
    });
    this._dialect = this.options.dialect ?? dialectFor(version);
    const schema: SchemaOptions = { dialect: this._dialect, retentionDays: this.options.retentionDays ?? 30 };
    await this.driver.command(schemaMigrationsDdl());
    const applied = new Set(
      (await this.driver.select(this.bind(QUERIES.appliedMigrations.sql, {}), {})).map((r) =>
        Number(r.version),
      ),
    );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements(schema)) await this.driver.command(statement);
      if (m.addColumns && m.addColumns.length > 0) await this.addColumns(m.addColumns);
      await this.driver.insert(TABLES.schemaMigrations, [
        { version: m.version, name: m.name, applied_at_ms: this.now() },
      ]);
      this.log.info({ version: m.version, name: m.name }, 'applied schema migration');
    }
    if (this._dialect === 'modern') await this.alignRetention(schema);
    this.log.info(
      { version, dialect: this._dialect, retentionDays: schema.retentionDays },
      'event store ready',
    );
  }

  /**
   * Adds the columns a table lacks. Additive only (old rows read the column's default), and re-runnable: a
   * start that died between the ALTER and the migration record skips what is already there.
   */
  private async addColumns(additions: readonly ColumnAddition[]): Promise<void> {
    const existing = new Set(
      (
        await this.driver.select(
          'SELECT table, name FROM system.columns WHERE database = currentDatabase()',
          {},
        )
      ).map((r) => `${String(r.table)}.${String(r.name)}`),
    );
    const missing = additions.filter((a) => !existing.has(`${a.table}.${a.column}`));
    if (this._dialect === 'modern') {
      // IF NOT EXISTS: a collector and a worker upgrading the same store at once both succeed.
      const byTable = new Map<string, string[]>();
      for (const a of missing) {
        const list = byTable.get(a.table) ?? [];
        list.push(`ADD COLUMN IF NOT EXISTS ${a.column} ${a.definition}`);
        byTable.set(a.table, list);
      }
      for (const [table, clauses] of byTable)
        await this.driver.command(`ALTER TABLE ${table} ${clauses.join(', ')}`);
      return;
    }
    // ClickHouse 18.16 has no IF NOT EXISTS here: one column at a time, and a column another process added
    // between our read and our ALTER (duplicate column) counts as done.
    for (const a of missing) {
      try {
        await this.driver.command(`ALTER TABLE ${a.table} ADD COLUMN ${a.column} ${a.definition}`);
      } catch (err) {
        const params = { table: a.table, column: a.column };
        const added = await this.driver.select(
          inlineParams(
            'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {table:String} AND name = {column:String}',
            params,
          ),
          {},
        );
        if (added.length === 0) throw err;
      }
    }
  }

  /**
   * Retention is configuration, not schema: re-point each table's TTL when the configured days or the
   * column it keys on (`TTL_COLUMNS`) changed.
   */
  private async alignRetention(schema: SchemaOptions): Promise<void> {
    const rows = await this.driver.select(
      'SELECT name, engine_full FROM system.tables WHERE database = currentDatabase()',
      {},
    );
    for (const r of rows) {
      const name = String(r.name);
      const column = TTL_COLUMNS[name];
      if (!column) continue;
      const engine = String(r.engine_full);
      const m = /toIntervalDay\((\d+)\)/.exec(engine);
      const sameColumn = new RegExp(`TTL ${column} \\+`).test(engine);
      if (m && sameColumn && Number(m[1]) === Math.floor(schema.retentionDays)) continue;
      await this.driver.command(`ALTER TABLE ${name} MODIFY ${ttlClause(schema, column)}`);
      this.log.info({ table: name, retentionDays: schema.retentionDays }, 'retention changed');
    }
  }

  async query<P extends Record<string, unknown>, R>(q: StoreQuery<P, R>, params: P): Promise<QueryResult<R>> {
    const refused = this.refuseQuery(q, params);
    if (refused) return refused;
    let rows: Row[];
    try {
      rows = await this.driver.select(this.bind(q.sql, params), this._dialect === 'legacy' ? {} : params);
    } catch (err) {
      const retriable = isRetriable(err);
      return {
        ok: false,
        reason: retriable ? 'unavailable' : 'invalid',
        retryAfterMillis: retriable ? 1000 : 0,
        message: `${q.name}: ${errorMessage(err)}`,
      };
    }
    try {
      return { ok: true, rows: rows.map(q.decodeRow) };
    } catch (err) {
      return {
        ok: false,
        reason: 'invalid',
        retryAfterMillis: 0,
        message: `${q.name}: a row does not decode: ${errorMessage(err)}`,
      };
    }
  }

  private bind(sql: string, params: Record<string, unknown>): string {
    return this._dialect === 'legacy' ? inlineParams(sql, params) : sql;
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    try {
      await this.writer.shutdown();
    } catch (err) {
      this.log.error(
        { err: errorMessage(err), ...this.writer.stats() },
        'event store shut down with rows unwritten',
      );
      throw err;
    } finally {
      this.closed = true;
      await this.driver
        .close()
        .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'close failed'));
    }
  }
}

/** Wraps an engine error as a `StoreError`. */
export function storeError(operation: string, err: unknown, retriable: boolean): StoreError {
  return new StoreError(retriable ? 'unavailable' : 'rejected', `${operation}: ${errorMessage(err)}`, {
    retriable,
    cause: err,
  });
}
