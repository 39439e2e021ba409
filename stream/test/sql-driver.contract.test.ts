import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openChdbDriver, openClickHouseServerDriver } from '@bulwark/stream';
import { describeSqlDriverContract } from '@bulwark/stream/testing';
import { afterAll, describe, it } from 'vitest';
import { CLICKHOUSE_URL, clickhouseSql, clickhouseUp } from './fixtures/sample-records.js';

// chdb: always available (a dev dependency); one data directory for this file's process.
const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-driver-contract-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
describeSqlDriverContract('chdb', { open: (database) => openChdbDriver({ dataDir, database }) });

// The ClickHouse server `node scripts/clickhouse.mjs start` runs (18.16 from Debian), or BULWARK_CLICKHOUSE_URL.
const up = await clickhouseUp();
const reason = `no ClickHouse server at ${CLICKHOUSE_URL} (start one with \`node scripts/clickhouse.mjs install && node scripts/clickhouse.mjs start\`)`;
if (up) {
  describeSqlDriverContract(`ClickHouse server ${CLICKHOUSE_URL}`, {
    open: async (database) => {
      await clickhouseSql(`CREATE DATABASE IF NOT EXISTS ${database}`);
      return openClickHouseServerDriver({ url: CLICKHOUSE_URL, database });
    },
    dropDatabase: async (database) => {
      await clickhouseSql(`DROP DATABASE IF EXISTS ${database}`);
    },
  });
} else if (process.env.CI) {
  describe('SqlDriver contract: ClickHouse server', () => {
    it('needs a ClickHouse server under CI', () => {
      throw new Error(reason);
    });
  });
} else {
  describe.skip(`SqlDriver contract: ClickHouse server (skipped: ${reason})`, () => {
    it('runs against a server', () => {});
  });
}
