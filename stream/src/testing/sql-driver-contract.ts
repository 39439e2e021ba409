import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import { dialectFor, type SqlDriver } from '../store/sql-event-store.js';

/** How the contract suite gets drivers of one engine. */
export interface SqlDriverHarness {
  /** A driver on a fresh, empty database named `database` (the harness creates it). */
  open(database: string): Promise<SqlDriver>;
  /** Removes a database after the suite. */
  dropDatabase?(database: string): Promise<void>;
}

/**
 * The contract every `SqlDriver` meets (chdb, the ClickHouse server client), on any engine from 18.16 on:
 * `version()`, DDL through `command`, `JSONEachRow` inserts that keep every character, selects with bound
 * parameters where the engine has them, errors as `StoreError`s that say whether retrying may help, and
 * `close`.
 *
 * @example
 * describeSqlDriverContract('chdb', { open: (db) => openChdbDriver({ dataDir, database: db }) });
 */
export function describeSqlDriverContract(name: string, harness: SqlDriverHarness): void {
  const prefix = `bw_driver_${process.pid}_${Date.now().toString(36)}`;
  const databases: string[] = [];
  const drivers: SqlDriver[] = [];
  let n = 0;
  const fresh = async () => {
    const database = `${prefix}_${n++}`;
    databases.push(database);
    const driver = await harness.open(database);
    drivers.push(driver);
    return driver;
  };
  // Legacy DDL on purpose: what ClickHouse 18.16 takes, every newer engine takes too.
  const createTable = (driver: SqlDriver) =>
    driver.command(
      'CREATE TABLE t (id String, n UInt32, tags Array(String)) ENGINE = MergeTree() ORDER BY id',
    );

  describe(`SqlDriver contract: ${name}`, () => {
    // One driver at a time: chdb binds its data directory to one session per process.
    afterEach(async () => {
      await Promise.allSettled(drivers.splice(0).map((d) => d.close()));
    });
    afterAll(async () => {
      if (harness.dropDatabase) for (const db of databases) await harness.dropDatabase(db);
    });

    it('reports a dotted engine version', async () => {
      const driver = await fresh();
      expect(await driver.version()).toMatch(/^\d+\.\d+/);
    });

    it('inserts rows as JSONEachRow and selects them back with every character intact', async () => {
      const driver = await fresh();
      await createTable(driver);
      const rows = [
        { id: 'a', n: 1, tags: ['x'] },
        { id: 'it\'s \\ "quoted" \u00e9\u4e2d\ud83d\ude00\n\ttab', n: 4_000_000_000, tags: [] },
      ];
      await driver.insert('t', rows);
      await driver.insert('t', []);
      expect(await driver.select('SELECT id, n, tags FROM t ORDER BY id', {})).toEqual(rows);
    });

    it('binds parameters where the engine has them (ClickHouse >= 19.15; the store inlines otherwise)', async (ctx) => {
      const driver = await fresh();
      const version = await driver.version();
      if (dialectFor(version) === 'legacy')
        ctx.skip(`${name} runs ClickHouse ${version}: no query parameters`);
      await createTable(driver);
      await driver.insert('t', [
        { id: "o'brien", n: 1, tags: [] },
        { id: 'other', n: 2, tags: [] },
      ]);
      expect(
        await driver.select('SELECT id, n FROM t WHERE id = {id:String} AND n >= {min:UInt32}', {
          id: "o'brien",
          min: 1,
        }),
      ).toEqual([{ id: "o'brien", n: 1 }]);
    });

    it('fails bad SQL and bad data with a StoreError that is not retriable', async () => {
      const driver = await fresh();
      await createTable(driver);
      const bad = await driver.command('CREATE TABLE WITH NO SENSE').catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(StoreError);
      expect((bad as StoreError).retriable).toBe(false);
      const query = await driver.select('SELECT no_such_column FROM t', {}).catch((e: unknown) => e);
      expect(query).toBeInstanceOf(StoreError);
      expect((query as StoreError).retriable).toBe(false);
      const data = await driver
        .insert('t', [{ id: 'x', n: 'not a number', tags: [] }])
        .catch((e: unknown) => e);
      expect(data).toBeInstanceOf(StoreError);
      expect((data as StoreError).retriable).toBe(false);
    });
  });
}
