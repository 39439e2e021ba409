import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChdbEventStore, ClickHouseServerEventStore } from '@bulwark/stream';
import { describeEventStoreContract, MemoryEventStore } from '@bulwark/stream/testing';
import { afterAll, describe, it } from 'vitest';
import { clickhouseUrl } from './src/services.js';

// chdb: always available (a dependency). One data directory per process, one database per test.
const dataDir = mkdtempSync(path.join(tmpdir(), 'bulwark-contract-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describeEventStoreContract({
  name: 'chdb (embedded)',
  open: (o) => ChdbEventStore.open({ dataDir, ...o }),
  supportsTtl: true,
});

// In memory: what tests of code that uses a store run against; it must behave like the real ones.
describeEventStoreContract({
  name: 'MemoryEventStore',
  open: (o) => MemoryEventStore.open(o),
  dropDatabase: async (db) => MemoryEventStore.drop(db),
  supportsTtl: false,
  noTtlReason: 'rows in memory live until the store is dropped',
});

// ClickHouse server: the one `node scripts/clickhouse.mjs start` runs (18.16 from Debian, its
// BULWARK_CLICKHOUSE_HTTP_PORT), or BULWARK_CLICKHOUSE_URL.
const url = clickhouseUrl();
async function serverUp(): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}
const up = await serverUp();
const reason = `no ClickHouse server at ${url} (start one with \`node scripts/clickhouse.mjs install && node scripts/clickhouse.mjs start\`)`;

if (up) {
  describeEventStoreContract({
    name: `ClickHouse server ${url}`,
    open: (o) =>
      ClickHouseServerEventStore.open({ url, ...o, batching: { flushIntervalMillis: 200, ...o.batching } }),
    dropDatabase: async (db) => {
      await fetch(`${url}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${db}` });
    },
    supportsTtl: false,
    noTtlReason: 'ClickHouse before 19.6; Debian ships 18.16',
  });
} else if (process.env.CI) {
  describe('EventStore contract: ClickHouse server', () => {
    it('needs a ClickHouse server under CI', () => {
      throw new Error(reason);
    });
  });
} else {
  describe.skip(`EventStore contract: ClickHouse server (skipped: ${reason})`, () => {
    it('runs against a server', () => {});
  });
}
