import { RetryExhaustedError, retry } from '@bulwark/contracts';
import type { ClickHouseClient } from '@clickhouse/client';
import { StoreError } from '../errors.js';
import { errorMessage } from '../logger.js';
import { type SqlDriver, SqlEventStore, type SqlEventStoreOptions, storeError } from './sql-event-store.js';
import type { Row } from './store-rows.js';

export interface ClickHouseServerEventStoreOptions extends SqlEventStoreOptions {
  /** HTTP endpoint. Default `http://127.0.0.1:8123`. */
  url?: string;
  /** Database (created when missing). Default `bulwark`. */
  database?: string;
  username?: string;
  password?: string;
  /** One HTTP request's limit. Default 10 s. */
  requestTimeoutMillis?: number;
}

// Server error codes that may pass: timeouts, overload, memory, too many parts, read-only replica, network.
const RETRIABLE_CODES = new Set([159, 164, 202, 203, 209, 210, 241, 242, 252, 285, 319, 425, 999]);

/** ClickHouse error code in a message (`Code: 62, e.displayText() = ...` on 18.x, `Code: 62. DB::...` later). */
export function clickhouseErrorCode(err: unknown): number | undefined {
  const e = err as { code?: unknown };
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code);
  const m = /\bCode: (\d+)[,.]/.exec(errorMessage(err));
  return m ? Number(m[1]) : undefined;
}

/**
 * Network failures, timeouts and overload are worth retrying; SQL and data errors are not.
 *
 * @example
 * isRetriableServerError(new Error('connect ECONNREFUSED')); // true
 */
export function isRetriableServerError(err: unknown): boolean {
  const code = clickhouseErrorCode(err);
  return code === undefined ? true : RETRIABLE_CODES.has(code);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

class ServerDriver implements SqlDriver {
  constructor(private readonly client: ClickHouseClient) {}

  async version(): Promise<string> {
    const rows = await this.select('SELECT version() AS v', {});
    return String(rows[0]?.v ?? '');
  }

  async command(sql: string): Promise<void> {
    try {
      await this.client.command({ query: sql });
    } catch (err) {
      throw storeError('ClickHouse command', err, isRetriableServerError(err));
    }
  }

  async insert(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({ table, values: rows as Row[], format: 'JSONEachRow' });
    } catch (err) {
      throw storeError(`ClickHouse insert into ${table}`, err, isRetriableServerError(err));
    }
  }

  async select(sql: string, params: Record<string, unknown>): Promise<Row[]> {
    try {
      const res = await this.client.query({
        query: sql,
        format: 'JSONEachRow',
        ...(Object.keys(params).length > 0 ? { query_params: params } : {}),
      });
      return await res.json<Row>();
    } catch (err) {
      throw storeError('ClickHouse query', err, isRetriableServerError(err));
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

async function loadClient(): Promise<typeof import('@clickhouse/client')> {
  try {
    return await import('@clickhouse/client');
  } catch (err) {
    throw new StoreError(
      'client_missing',
      `the optional dependency @clickhouse/client is not installed: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

function clientOptions(
  ch: typeof import('@clickhouse/client'),
  url: string,
  options: Pick<ClickHouseServerEventStoreOptions, 'requestTimeoutMillis' | 'username' | 'password'>,
) {
  return {
    url,
    request_timeout: options.requestTimeoutMillis ?? 10_000,
    application: 'bulwark',
    // Failures are logged by the store with context; the client's own console logging stays off.
    log: { level: ch.ClickHouseLogLevel.OFF },
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  };
}

/**
 * The `SqlDriver` of `ClickHouseServerEventStore` on `database` (which must exist; the store creates it), for
 * the SqlDriver contract suite and tools that need the engine without the store. Throws `StoreError`.
 *
 * @example
 * const driver = await openClickHouseServerDriver({ url: 'http://127.0.0.1:8123', database: 'default' });
 * console.log(await driver.version());
 */
export async function openClickHouseServerDriver(
  options: Pick<
    ClickHouseServerEventStoreOptions,
    'url' | 'database' | 'requestTimeoutMillis' | 'username' | 'password'
  >,
): Promise<SqlDriver> {
  const ch = await loadClient();
  const database = options.database ?? 'default';
  if (!IDENT.test(database)) {
    throw new StoreError(
      'invalid_database',
      `database name ${JSON.stringify(database)} is not a plain identifier`,
    );
  }
  return new ServerDriver(
    ch.createClient({ ...clientOptions(ch, options.url ?? 'http://127.0.0.1:8123', options), database }),
  );
}

/**
 * Event store on a ClickHouse server over HTTP (@clickhouse/client): batched inserts flushed by size and
 * time, retries with backoff, a bounded buffer that pushes back when full, nothing acknowledged lost.
 * Works with ClickHouse 18.16 (legacy DDL: no TTL, no LowCardinality) and current versions.
 *
 * @example
 * const store = await ClickHouseServerEventStore.open({ url: 'http://127.0.0.1:8123', database: 'bulwark' });
 * const res = store.appendEvents(events);
 * if (!res.ok) reply(503, { retryAfterMillis: res.retryAfterMillis });
 */
export class ClickHouseServerEventStore extends SqlEventStore {
  readonly url: string;
  readonly database: string;

  private constructor(
    driver: SqlDriver,
    url: string,
    database: string,
    options: ClickHouseServerEventStoreOptions,
  ) {
    super('server', driver, options);
    this.url = url;
    this.database = database;
  }

  /** Connects, creates the database if missing and applies the schema (retrying while the server starts). */
  static async open(options: ClickHouseServerEventStoreOptions = {}): Promise<ClickHouseServerEventStore> {
    const url = options.url ?? 'http://127.0.0.1:8123';
    const database = options.database ?? 'bulwark';
    if (!IDENT.test(database)) {
      throw new StoreError(
        'invalid_database',
        `database name ${JSON.stringify(database)} is not a plain identifier`,
      );
    }
    const ch = await loadClient();
    const base = clientOptions(ch, url, options);
    const bootstrap = new ServerDriver(ch.createClient(base));
    const store = new ClickHouseServerEventStore(
      new ServerDriver(ch.createClient({ ...base, database })),
      url,
      database,
      options,
    );
    try {
      // Retried: the server may still be starting.
      await retry(() => bootstrap.command(`CREATE DATABASE IF NOT EXISTS ${database}`), {
        maxAttempts: options.startRetry?.maxAttempts ?? 10,
        deadlineMillis: options.startRetry?.deadlineMillis ?? 30_000,
      });
      await store.start();
    } catch (err) {
      await store.driver.close().catch(() => {});
      const cause = err instanceof RetryExhaustedError ? err.cause : err;
      throw cause instanceof StoreError ? cause : storeError('ClickHouse schema', cause, false);
    } finally {
      await bootstrap.close().catch(() => {});
    }
    return store;
  }
}
