import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseSince } from '@bulwark/collector';
import { DetectionEngine, type Policy, PolicyError, parsePolicy } from '@bulwark/detectors';
import {
  type EventStore,
  type HuntReport,
  loadEventStoreConfig,
  openEventStore,
  runRetroHunt,
} from '@bulwark/stream';
import { analystApiKey, callServe, isStoreLocked, neitherWorks, routeFor, serveUrl } from './serve-api.js';
import { checkStorePresence } from './store-presence.js';

const HELP = `usage: bulwark hunt --since <time> [options]

Retro-hunt: replays the sessions stored by the stream worker through the current detectors and reports
what they catch now (per session: detector, decision, tool), above all the tool calls the inline
decision had allowed.

options:
  --since <time>          sessions active since: ISO time (2025-01-31T12:00Z) or relative (90m, 24h, 7d, 2w)
  --policy <file>         policy YAML for the detectors (default: the built-in default policy)
  --store <chdb|server>   where events are stored (BULWARK_STORE, default chdb)
  --data-dir <dir>        chdb data directory (BULWARK_DATA_DIR, default .bulwark-data)
  --clickhouse-url <url>  ClickHouse server (BULWARK_CLICKHOUSE_URL, default http://127.0.0.1:8123)
  --database <name>       database (BULWARK_CLICKHOUSE_DATABASE, default bulwark)
  --tenant <id>           only this tenant (default: all)
  --limit <n>             at most n sessions, most recent first (default 10000)
  --json                  print the report as JSON
  --url <url>             hunt through this \`bulwark serve\` (default: the serve holding --data-dir, else
                          BULWARK_VERDICT_URL or http://127.0.0.1:4318); key from BULWARK_ANALYST_KEY
                          (one of serve's BULWARK_ANALYST_KEYS), else BULWARK_API_KEY
  -h, --help              this text

While \`bulwark serve\` holds the embedded store (chdb allows one process per data directory), the hunt runs
in serve's process through its API, with the same detectors and the --policy given here.

Exit codes: 0 report printed, 1 the store could not be read, 2 bad arguments, configuration or policy, or no
event store at --data-dir / --database (nothing is created).`;

export interface HuntIo {
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

/**
 * `bulwark hunt`: re-runs the current detectors over stored sessions. Resolves to the exit code.
 *
 * @example
 * const code = await run(['--since', '7d', '--store', 'server', '--json']);
 */
export async function run(argv: string[], io: HuntIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => console.log(l));
  const err = io.err ?? ((l: string) => console.error(l));
  const env = io.env ?? process.env;
  const now = (io.now ?? Date.now)();

  let values: {
    since?: string;
    policy?: string;
    store?: string;
    'data-dir'?: string;
    'clickhouse-url'?: string;
    database?: string;
    tenant?: string;
    limit?: string;
    json?: boolean;
    url?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        since: { type: 'string' },
        policy: { type: 'string' },
        store: { type: 'string' },
        'data-dir': { type: 'string' },
        'clickhouse-url': { type: 'string' },
        database: { type: 'string' },
        tenant: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    err(`bulwark hunt: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    out(HELP);
    return 0;
  }

  // Every argument problem at once.
  const issues: string[] = [];
  let sinceMillis = 0;
  if (values.since === undefined) issues.push('--since is required (e.g. --since 24h)');
  else {
    const s = parseSince(values.since, now);
    if (s.ok) sinceMillis = s.millis;
    else issues.push(s.message);
  }
  let limit = 10_000;
  if (values.limit !== undefined) {
    if (/^\d+$/.test(values.limit) && Number(values.limit) > 0) limit = Number(values.limit);
    else issues.push(`--limit "${values.limit}" must be a positive whole number`);
  }
  const storeOptions: Record<string, unknown> = {};
  if (values.store !== undefined) storeOptions.store = values.store;
  if (values['data-dir'] !== undefined) storeOptions.dataDir = values['data-dir'];
  if (values['clickhouse-url'] !== undefined) storeOptions.clickhouseUrl = values['clickhouse-url'];
  if (values.database !== undefined) storeOptions.database = values.database;
  const storeConfig = loadEventStoreConfig(storeOptions, env);
  if (!storeConfig.ok) issues.push(...storeConfig.issues);
  let policy: Policy | undefined;
  let policyText: string | undefined;
  if (values.policy !== undefined) {
    try {
      policyText = await readFile(values.policy, 'utf8');
      policy = parsePolicy(policyText);
    } catch (e) {
      if (e instanceof PolicyError) issues.push(`--policy ${values.policy}: ${e.issues.join('; ')}`);
      else issues.push(`--policy ${values.policy}: cannot read it: ${(e as Error).message}`);
    }
  }
  if (issues.length > 0 || !storeConfig.ok) {
    err(
      `bulwark hunt: invalid arguments:\n${issues.map((i) => `  - ${i}`).join('\n')}\n\nRun \`bulwark hunt --help\` for the options.`,
    );
    return 2;
  }

  const presence = await checkStorePresence(storeConfig.config);
  if (!presence.ok) {
    err(`bulwark hunt: ${presence.message}`);
    return presence.exitCode;
  }

  const print = (report: HuntReport) => {
    if (values.json) out(JSON.stringify(report, null, 2));
    else for (const line of formatReport(report)) out(line);
    return 0;
  };
  const viaServe = async (route: { url: string; apiKey: string | undefined }) => {
    const res = await callServe<{ report: HuntReport }>(route, '/api/hunt', {
      method: 'POST',
      body: {
        since: new Date(sinceMillis).toISOString(),
        limit,
        ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
        ...(policyText !== undefined ? { policy: policyText } : {}),
      },
    });
    if (!res.ok) {
      err(neitherWorks('hunt', storeConfig.config.dataDir, route.url, res.message));
      return 2;
    }
    return print(res.value.report);
  };
  const route = routeFor(storeConfig.config, values.url, env);
  if (route.via === 'serve') return viaServe(route);

  let store: EventStore;
  try {
    store = await openEventStore(storeConfig.config, {
      env,
      startRetry: { maxAttempts: 3, deadlineMillis: 5_000 },
    });
  } catch (e) {
    // Held by a serve that left no lock file: its API is the way in.
    if (storeConfig.config.store === 'chdb' && isStoreLocked(e))
      return viaServe({ url: serveUrl(undefined, env), apiKey: analystApiKey(env) });
    err(`bulwark hunt: cannot open the ${storeConfig.config.store} event store: ${(e as Error).message}`);
    return 1;
  }
  try {
    const res = await runRetroHunt({
      store,
      sinceMillis,
      maxSessions: limit,
      ...(values.tenant !== undefined ? { tenantId: values.tenant } : {}),
      createEngine: () => new DetectionEngine(policy ? { policy } : {}),
    });
    if (!res.ok) {
      err(`bulwark hunt: reading the store failed (${res.reason}): ${res.message}`);
      return 1;
    }
    return print(res.report);
  } finally {
    await store.shutdown().catch(() => {});
  }
}

/** `travel-agent (id a-1)`, `a-1` or '': how a reader knows the agent. */
function agentLabel(agentId: string | undefined, agentName: string | undefined): string {
  if (agentName && agentId && agentName !== agentId) return `${agentName} (id ${agentId})`;
  return agentName || agentId || '';
}

/** `2025-01-31 12:00:07`: UTC, with the year and seconds. */
function utc(millis: number): string {
  return new Date(millis).toISOString().replace('T', ' ').slice(0, 19);
}

/** The human-readable report. */
export function formatReport(r: HuntReport): string[] {
  const lines = [
    `bulwark hunt: ${r.sessionsScanned} session(s) active since ${new Date(r.sinceMillis).toISOString()}: ` +
      `${r.sessionsWithHits} with hits, ${r.hits} hit(s), ${r.missedInline} on calls the inline decision let run`,
  ];
  for (const s of r.sessions) {
    lines.push(
      '',
      `${s.tenantId} / ${s.sessionId}${agentLabel(s.agentId, s.agentName) ? ` (agent ${agentLabel(s.agentId, s.agentName)})` : ''}: ${s.events} events, ${s.toolCalls} tool calls`,
    );
    for (const h of s.hits) {
      const mark = h.missedInline ? '!' : '-';
      const inline = h.toolCallId ? ` (inline: ${h.inlineDecision ?? 'none recorded'})` : '';
      const tool = h.toolName ? ` ${h.toolName}` : '';
      lines.push(`  ${mark} ${h.detectorId} ${h.decision}${inline}${tool}: ${h.title}`);
    }
  }
  if (r.missedInline > 0)
    lines.push('', '! = the inline decision let this call run; the current detectors would stop it.');
  const refused = r.refusedWithoutVerdict;
  if (refused && refused.total > 0) {
    const by = Object.entries(refused.bySource)
      .map(([source, n]) => `${source} ${n}`)
      .join(', ');
    lines.push(
      '',
      `${refused.total} call(s) refused without a verdict (the agent's fallback: ${by}): they never ran, whatever verdict came later.`,
    );
    // One line per call, newest first: when, where, who, what, and the verdict that came too late.
    const calls = r.refusedCalls ?? [];
    for (const c of calls) {
      const agent = agentLabel(c.agentId, c.agentName);
      const later = c.inlineDecision ? `verdict later: ${c.inlineDecision}` : 'no verdict recorded';
      lines.push(
        `  x ${utc(c.timestampMillis)} UTC ${c.tenantId} / ${c.sessionId}${agent ? ` (agent ${agent})` : ''} ` +
          `${c.toolName}: ${c.enforcedDecision} by ${c.enforcedSource} (${later})${c.differs ? ', differs' : ''}` +
          `${c.enforcedReason ? `: ${c.enforcedReason}` : ''}`,
      );
    }
    if (calls.length < refused.total) lines.push(`  … ${refused.total - calls.length} more not listed.`);
  }
  return lines;
}
