import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Session } from 'chdb';
import { StoreError } from '../errors.js';
import { errorMessage } from '../logger.js';
import { type SqlDriver, SqlEventStore, type SqlEventStoreOptions, storeError } from './sql-event-store.js';
import type { Row } from './store-rows.js';
import { type TsvColumnKind, tabSeparatedBatches, tsvColumnKind } from './tab-separated-rows.js';

export interface ChdbEventStoreOptions extends SqlEventStoreOptions {
  /** Data directory. Default `.bulwark-data` in the working directory. One directory per process (chdb). */
  dataDir?: string;
  /** Database inside it. Default `bulwark`. */
  database?: string;
}

// ClickHouse error codes worth retrying on an embedded engine: memory, timeouts, too many parts.
const RETRIABLE_CODES = new Set([159, 202, 241, 252]);

function isRetriableChdb(err: unknown): boolean {
  const e = err as { name?: string; clickhouseCode?: number };
  return e?.name === 'ChdbTimeoutError' || RETRIABLE_CODES.has(Number(e?.clickhouseCode));
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

class ChdbDriver implements SqlDriver {
  constructor(
    private readonly session: Session,
    private readonly drainPending: () => Promise<void>,
  ) {}

  async version(): Promise<string> {
    const rows = await this.select('SELECT version() AS v', {});
    return String(rows[0]?.v ?? '');
  }

  async command(sql: string): Promise<void> {
    try {
      await this.session.queryAsync(sql);
    } catch (err) {
      throw storeError('chdb command', err, isRetriableChdb(err));
    }
  }

  /** Column kinds per table (from `system.columns`), read at the first insert into the table. */
  private readonly columnKinds = new Map<string, Map<string, TsvColumnKind | undefined>>();

  /**
   * Rows go as `TabSeparated` with their column names (cheaper to write and to parse than `JSONEachRow`:
   * 10-25 % less CPU a row for serialising and inserting the bench's rows, BENCHMARKS.md "Embedded store,
   * 2026-12-03"); a batch with a value `TabSeparated` cannot carry so that it reads back the same goes as
   * `JSONEachRow`, as before.
   */
  async insert(table: string, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const batches = IDENT.test(table)
      ? tabSeparatedBatches(rows, await this.kindsOf(table, rows[0]!))
      : undefined;
    try {
      if (!batches) {
        const body = Buffer.from(`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
        await this.session.insert({ table, values: body, format: 'JSONEachRow' });
        return;
      }
      for (const b of batches) {
        await this.session.insert({
          table,
          values: Buffer.from(b.text),
          format: 'TabSeparated',
          columns: b.columns,
          // On by default: a first row that reads like column names (or types) would be dropped as a header.
          settings: { input_format_tsv_detect_header: 0 },
        });
      }
    } catch (err) {
      throw storeError(`chdb insert into ${table}`, err, isRetriableChdb(err));
    }
  }

  /** The kind of each of `table`'s columns, re-read when `sample` names one not seen yet (a migration added it). */
  private async kindsOf(table: string, sample: Row): Promise<(column: string) => TsvColumnKind | undefined> {
    let kinds = this.columnKinds.get(table);
    if (!kinds || Object.keys(sample).some((c) => !kinds!.has(c))) {
      const columns = await this.select(
        `SELECT name, type, default_kind, default_expression FROM system.columns WHERE database = currentDatabase() AND table = '${table}'`,
        {},
      );
      kinds = new Map(
        columns.map((c) => [
          String(c.name),
          tsvColumnKind(String(c.type), String(c.default_kind), String(c.default_expression)),
        ]),
      );
      this.columnKinds.set(table, kinds);
    }
    const known = kinds;
    return (column) => known.get(column);
  }

  async select(sql: string, params: Record<string, unknown>): Promise<Row[]> {
    let text: string;
    try {
      const res =
        Object.keys(params).length > 0
          ? await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
          : await this.session.queryAsync(sql, { format: 'JSONEachRow' });
      text = res.text();
    } catch (err) {
      throw storeError('chdb query', err, isRetriableChdb(err));
    }
    const out: Row[] = [];
    for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as Row);
    return out;
  }

  async close(): Promise<void> {
    this.session.close();
    // chdb binds one data directory per process; wait until it is really free for the next session.
    await this.drainPending();
  }
}

/**
 * The chdb `SqlDriver` of `ChdbEventStore`, on `database` (created when missing) in `dataDir`; for the
 * SqlDriver contract suite and tools that need the engine without the store. Throws `StoreError`.
 *
 * @example
 * const driver = await openChdbDriver({ dataDir: '.bulwark-data', database: 'bulwark' });
 * console.log(await driver.version());
 */
export async function openChdbDriver(options: { dataDir: string; database: string }): Promise<SqlDriver> {
  const { dataDir, database } = options;
  if (!IDENT.test(database)) {
    throw new StoreError(
      'invalid_database',
      `database name ${JSON.stringify(database)} is not a plain identifier`,
    );
  }
  let chdb: typeof import('chdb');
  try {
    chdb = await import('chdb');
  } catch (err) {
    throw new StoreError(
      'chdb_missing',
      `the optional dependency chdb is not installed: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  let session: Session;
  try {
    mkdirSync(dataDir, { recursive: true });
    session = new chdb.Session(dataDir);
    await session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${database}`);
    await session.queryAsync(`USE ${database}`);
  } catch (err) {
    throw new StoreError('open_failed', `cannot open chdb data directory ${dataDir}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return new ChdbDriver(session, chdb.drainPending);
}

/**
 * The default event store: ClickHouse embedded in the process (chdb), data in a local directory. Same
 * schema, SQL, batching and idempotency as `ClickHouseServerEventStore`. chdb binds one data directory per
 * process: open one store per process (another process may read the same directory, e.g. `bulwark hunt`).
 *
 * @example
 * const store = await ChdbEventStore.open({ dataDir: '.bulwark-data', retentionDays: 30 });
 * store.appendEvents(events);
 * await store.forceFlush();
 * await store.shutdown();
 */
export class ChdbEventStore extends SqlEventStore {
  /** The data directory in use. */
  readonly dataDir: string;

  private constructor(driver: SqlDriver, dataDir: string, options: ChdbEventStoreOptions) {
    super('chdb', driver, options);
    this.dataDir = dataDir;
  }

  /** Opens (creating if needed) the data directory and applies the schema. Throws `StoreError`. */
  static async open(options: ChdbEventStoreOptions = {}): Promise<ChdbEventStore> {
    const dataDir = path.resolve(options.dataDir ?? '.bulwark-data');
    const database = options.database ?? 'bulwark';
    if (!IDENT.test(database)) {
      throw new StoreError(
        'invalid_database',
        `database name ${JSON.stringify(database)} is not a plain identifier`,
      );
    }
    const driver = await openChdbDriver({ dataDir, database });
    const store = new ChdbEventStore(driver, dataDir, options);
    try {
      await store.start();
    } catch (err) {
      await store.driver.close().catch(() => {});
      throw err instanceof StoreError ? err : storeError('chdb schema', err, false);
    }
    return store;
  }
}
