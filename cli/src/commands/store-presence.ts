import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EventStoreConfig } from '@bulwark/stream';

/** Whether the configured store holds a Bulwark database; exit code 2 (configuration) or 1 (unreachable). */
export type StorePresence = { ok: true } | { ok: false; exitCode: 1 | 2; message: string };

/**
 * Checks, without creating anything, that the event store a reading command (`hunt`, `report`) is pointed at
 * exists. Opening a store creates it, so a typo in `--data-dir` or `--database` would otherwise read an empty
 * store and print an all-clear.
 *
 * @example
 * const p = await checkStorePresence(config);
 * if (!p.ok) { console.error(p.message); return p.exitCode; }
 */
export async function checkStorePresence(
  config: EventStoreConfig,
  fetchImpl: typeof fetch = fetch,
): Promise<StorePresence> {
  if (config.store === 'chdb') {
    const dir = path.resolve(config.dataDir);
    // chdb keeps one metadata file per database: `<dataDir>/metadata/<database>.sql`.
    if (existsSync(path.join(dir, 'metadata', `${config.database}.sql`))) return { ok: true };
    const what = existsSync(dir)
      ? `${dir} holds no Bulwark event store (database "${config.database}")`
      : `${dir} does not exist`;
    return {
      ok: false,
      exitCode: 2,
      message: `no event store: ${what}. Pass the collector's data directory with --data-dir (BULWARK_DATA_DIR; \`bulwark serve\` uses .bulwark-data in its working directory), or --store server for a ClickHouse server. Nothing was created.`,
    };
  }
  const url = new URL(config.clickhouseUrl);
  url.searchParams.set('param_db', config.database);
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (config.clickhouseUser !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${config.clickhouseUser}:${config.clickhousePassword ?? ''}`).toString('base64')}`;
  let text: string;
  try {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers,
      body: "SELECT count() FROM system.tables WHERE database = {db:String} AND name = 'events' FORMAT TSV",
      signal: AbortSignal.timeout(Math.min(config.requestTimeoutMillis, 10_000)),
    });
    text = (await res.text()).trim();
    if (!res.ok)
      return {
        ok: false,
        exitCode: 1,
        message: `the ClickHouse server at ${config.clickhouseUrl} answered HTTP ${res.status}: ${text.slice(0, 300)}. Check --clickhouse-url and BULWARK_CLICKHOUSE_USER/PASSWORD.`,
      };
  } catch (e) {
    return {
      ok: false,
      exitCode: 1,
      message: `cannot reach the ClickHouse server at ${config.clickhouseUrl}: ${(e as Error).message}. Is it running? Check --clickhouse-url (BULWARK_CLICKHOUSE_URL).`,
    };
  }
  if (Number(text) > 0) return { ok: true };
  return {
    ok: false,
    exitCode: 2,
    message: `no event store: the ClickHouse server at ${config.clickhouseUrl} has no Bulwark database "${config.database}". Pass --database (BULWARK_CLICKHOUSE_DATABASE) of the collector, or --store chdb --data-dir <dir> for the embedded store. Nothing was created.`,
  };
}
