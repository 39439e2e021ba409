import { describe, expect, it } from 'vitest';
import { StreamConfigError } from '../errors.js';
import { loadEventStoreConfig, openEventStore } from './open-event-store.js';

describe('event store configuration', () => {
  it('takes code options over BULWARK_* env over defaults', () => {
    const res = loadEventStoreConfig(
      { retentionDays: 7 },
      { BULWARK_STORE: 'server', BULWARK_RETENTION_DAYS: '90', BULWARK_CLICKHOUSE_URL: 'http://ch:8123' },
    );
    expect(res).toMatchObject({
      ok: true,
      config: {
        store: 'server',
        retentionDays: 7,
        clickhouseUrl: 'http://ch:8123',
        dataDir: '.bulwark-data',
        database: 'bulwark',
      },
    });
  });

  it('lists every bad key with its env variable', () => {
    const res = loadEventStoreConfig(
      { database: 'drop table;' },
      { BULWARK_STORE: 'mysql', BULWARK_RETENTION_DAYS: 'soon', BULWARK_CLICKHOUSE_URL: 'ftp://x' },
    );
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues.map((i) => i.split(':')[0])).toEqual([
      'store (BULWARK_STORE)',
      'clickhouseUrl (BULWARK_CLICKHOUSE_URL)',
      'database (BULWARK_CLICKHOUSE_DATABASE)',
      'retentionDays (BULWARK_RETENTION_DAYS)',
    ]);
  });

  it('openEventStore throws StreamConfigError before touching anything', async () => {
    await expect(openEventStore({ store: 'nope' as never }, { env: {} })).rejects.toBeInstanceOf(
      StreamConfigError,
    );
  });
});
