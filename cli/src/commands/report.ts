import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseSince } from '@bulwark/collector';
import { generateReport, type ReportData } from '@bulwark/dashboards';
import { type EventStore, loadEventStoreConfig, openEventStore } from '@bulwark/stream';
import { analystApiKey, callServe, isStoreLocked, neitherWorks, routeFor, serveUrl } from './serve-api.js';
import { checkStorePresence } from './store-presence.js';

const HELP = `usage: bulwark report [options]

Writes one self-contained HTML report (inline CSS and SVG, no script, no network request): decisions over
time by outcome and by detector, top blocked tools, riskiest sessions, and the latest incidents with their
evidence. Reads the embedded (chdb) or the ClickHouse server event store.

options:
  --since <time>          start of the report: ISO time (2025-01-31T12:00Z) or relative (90m, 24h, 7d, 2w); default 24h
  --out <file>            where to write the HTML (default bulwark-report.html)
  --store <chdb|server>   where events are stored (BULWARK_STORE, default chdb)
  --data-dir <dir>        chdb data directory (BULWARK_DATA_DIR, default .bulwark-data)
  --clickhouse-url <url>  ClickHouse server (BULWARK_CLICKHOUSE_URL, default http://127.0.0.1:8123)
  --database <name>       database (BULWARK_CLICKHOUSE_DATABASE, default bulwark)
  --tenant <id>           only this tenant (default: all)
  --title <text>          report title (default "Bulwark security report")
  --incidents <n>         incidents shown with their evidence (default 10)
  --url <url>             read through this \`bulwark serve\` (default: the serve holding --data-dir, else
                          BULWARK_VERDICT_URL or http://127.0.0.1:4318); key from BULWARK_ANALYST_KEY
                          (one of serve's BULWARK_ANALYST_KEYS), else BULWARK_API_KEY
  -h, --help              this text

While \`bulwark serve\` holds the embedded store (chdb allows one process per data directory), the report is
read through serve's API instead (its live page at / shows the same content).

Exit codes: 0 report written, 1 the store could not be read or the file not written, 2 bad arguments or
configuration, or no event store at --data-dir / --database (nothing is created).`;

export interface ReportIo {
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

type Values = {
  since?: string;
  out?: string;
  store?: string;
  'data-dir'?: string;
  'clickhouse-url'?: string;
  database?: string;
  tenant?: string;
  title?: string;
  incidents?: string;
  url?: string;
  help?: boolean;
};

/**
 * `bulwark report`: writes the HTML report of a time range. Resolves to the exit code.
 *
 * @example
 * const code = await run(['--since', '7d', '--store', 'server', '--out', 'report.html']);
 */
export async function run(argv: string[], io: ReportIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => console.log(l));
  const err = io.err ?? ((l: string) => console.error(l));
  const env = io.env ?? process.env;
  const now = (io.now ?? Date.now)();

  let values: Values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        out: { type: 'string' },
        store: { type: 'string' },
        'data-dir': { type: 'string' },
        'clickhouse-url': { type: 'string' },
        database: { type: 'string' },
        tenant: { type: 'string' },
        title: { type: 'string' },
        incidents: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    err(`bulwark report: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    out(HELP);
    return 0;
  }

  // Every argument problem at once.
  const issues: string[] = [];
  const since = parseSince(values.since ?? '24h', now);
  if (!since.ok) issues.push(since.message);
  else if (since.millis >= now) issues.push(`--since "${values.since}" is not in the past`);
  let incidentLimit = 10;
  if (values.incidents !== undefined) {
    if (/^\d+$/.test(values.incidents) && Number(values.incidents) <= 1000)
      incidentLimit = Number(values.incidents);
    else issues.push(`--incidents "${values.incidents}" must be a whole number from 0 to 1000`);
  }
  const outFile = path.resolve(values.out ?? 'bulwark-report.html');
  if (values.out !== undefined && values.out.trim() === '') issues.push('--out must name a file');
  else if (existsSync(outFile) && statSync(outFile).isDirectory()) {
    issues.push(`--out ${outFile} is a directory: name a file, e.g. ${path.join(outFile, 'report.html')}`);
  } else if (!existsSync(path.dirname(outFile))) {
    issues.push(`--out: the directory ${path.dirname(outFile)} does not exist`);
  }
  const storeOptions: Record<string, unknown> = {};
  if (values.store !== undefined) storeOptions.store = values.store;
  if (values['data-dir'] !== undefined) storeOptions.dataDir = values['data-dir'];
  if (values['clickhouse-url'] !== undefined) storeOptions.clickhouseUrl = values['clickhouse-url'];
  if (values.database !== undefined) storeOptions.database = values.database;
  const storeConfig = loadEventStoreConfig(storeOptions, env);
  if (!storeConfig.ok) issues.push(...storeConfig.issues);
  if (issues.length > 0 || !storeConfig.ok || !since.ok) {
    err(
      `bulwark report: invalid arguments:\n${issues.map((i) => `  - ${i}`).join('\n')}\n\nRun \`bulwark report --help\` for the options.`,
    );
    return 2;
  }
  // Opening would create an empty store and report nothing: almost surely the wrong directory or database.
  const presence = await checkStorePresence(storeConfig.config);
  if (!presence.ok) {
    err(`bulwark report: ${presence.message}`);
    return presence.exitCode;
  }

  // Write then rename: a reader never sees half a report.
  const write = (html: string, t: ReportData['totals'], through: string): number => {
    const tmp = `${outFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, html);
      renameSync(tmp, outFile);
    } catch (e) {
      rmSync(tmp, { force: true });
      err(`bulwark report: cannot write ${outFile}: ${(e as Error).message}`);
      return 1;
    }
    out(
      `bulwark report: wrote ${outFile} (${t.decisions} decisions, ${t.blocked} blocked, ${t.openIncidents} open incident(s) since ${new Date(since.millis).toISOString()})${through}`,
    );
    return 0;
  };
  const viaServe = async (route: { url: string; apiKey: string | undefined; why: string }) => {
    const q = new URLSearchParams({
      since: new Date(since.millis).toISOString(),
      until: new Date(now).toISOString(),
      incidents: String(incidentLimit),
      html: '1',
    });
    if (values.tenant !== undefined) q.set('tenant', values.tenant);
    if (values.title !== undefined) q.set('title', values.title);
    const res = await callServe<{ data: ReportData; html: string }>(route, `/api/report?${q}`);
    if (!res.ok) {
      err(neitherWorks('report', storeConfig.config.dataDir, route.url, res.message));
      return 2;
    }
    return write(res.value.html, res.value.data.totals, ` through bulwark serve at ${route.url}`);
  };
  const route = routeFor(storeConfig.config, values.url, env);
  if (route.via === 'serve') return viaServe(route);

  let store: EventStore;
  try {
    store = await openEventStore(storeConfig.config, { env });
  } catch (e) {
    // Held by a serve that left no lock file: its API is the way in.
    if (storeConfig.config.store === 'chdb' && isStoreLocked(e))
      return viaServe({ url: serveUrl(undefined, env), apiKey: analystApiKey(env), why: '' });
    err(`bulwark report: cannot open the ${storeConfig.config.store} event store: ${(e as Error).message}`);
    return 1;
  }
  try {
    const res = await generateReport(store, {
      sinceMillis: since.millis,
      untilMillis: now,
      incidentLimit,
      ...(values.tenant !== undefined ? { tenantId: values.tenant } : {}),
      ...(values.title !== undefined ? { title: values.title } : {}),
    });
    if (!res.ok) {
      err(`bulwark report: reading the store failed (${res.reason}): ${res.message}`);
      return 1;
    }
    return write(res.html, res.data.totals, '');
  } finally {
    await store.shutdown().catch(() => {});
  }
}
