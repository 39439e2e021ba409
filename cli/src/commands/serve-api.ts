import path from 'node:path';
import type { EventStoreConfig } from '@bulwark/stream';
import { readServeLock } from '../serve-lock-file.js';

/** Default address of `bulwark serve` (the SDK's default too). */
export const DEFAULT_SERVE_URL = 'http://127.0.0.1:4318';

/** Where a reading command gets its data: the store itself, or the `bulwark serve` holding it. */
export type StoreRoute =
  | { via: 'store' }
  | { via: 'serve'; url: string; apiKey: string | undefined; why: string };

/** An answer of serve's API, or why there was none, as a value. */
export type ServeAnswer<T> = { ok: true; value: T } | { ok: false; message: string };

type Env = Readonly<Record<string, string | undefined>>;

/** The serve URL to use: `--url`, else `BULWARK_VERDICT_URL`, else the default. */
export function serveUrl(flag: string | undefined, env: Env): string {
  return (flag ?? env.BULWARK_VERDICT_URL ?? DEFAULT_SERVE_URL).replace(/\/+$/, '');
}

/**
 * Whether to read the store directly or through a running `bulwark serve`: chdb binds a data directory to
 * one process, so while serve holds it (its lock file names it) the API is the only way in. `--url` given
 * explicitly always goes through serve.
 *
 * @example
 * const route = routeFor(config, values.url, env);
 * if (route.via === 'serve') await fetch(`${route.url}/api/report`);
 */
/**
 * The key the CLI reads serve's analyst API with: `BULWARK_ANALYST_KEY` (one of serve's BULWARK_ANALYST_KEYS;
 * agent keys are refused there when auth is on), else `BULWARK_API_KEY`.
 *
 * @example
 * analystApiKey({ BULWARK_ANALYST_KEY: 'k'.repeat(16) }); // 'kkkkkkkkkkkkkkkk'
 */
export function analystApiKey(env: Env): string | undefined {
  return env.BULWARK_ANALYST_KEY || env.BULWARK_API_KEY || undefined;
}

export function routeFor(config: EventStoreConfig, urlFlag: string | undefined, env: Env): StoreRoute {
  const apiKey = analystApiKey(env);
  if (urlFlag !== undefined) return { via: 'serve', url: serveUrl(urlFlag, env), apiKey, why: '--url given' };
  if (config.store !== 'chdb') return { via: 'store' };
  const lock = readServeLock(config.dataDir);
  if (!lock) return { via: 'store' };
  return {
    via: 'serve',
    url: lock.url.replace(/\/+$/, ''),
    apiKey,
    why: `bulwark serve (pid ${lock.pid}) holds ${path.resolve(config.dataDir)}`,
  };
}

/** Whether opening the embedded store failed because another process holds its directory. */
export function isStoreLocked(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? ''} ${String((err as { cause?: Error })?.cause?.message ?? '')}`;
  // chdb reports the lock on its stderr and throws only "Failed to create connection".
  return /cannot lock file|another server instance|failed to create connection/i.test(text);
}

/** The one line a reading command prints when neither the store nor serve's API can be read. */
export function neitherWorks(command: string, dataDir: string, url: string, why: string): string {
  return `bulwark ${command}: the event store ${path.resolve(dataDir)} is held by a running \`bulwark serve\` and its API at ${url} did not answer (${why}): pass serve's address with --url (BULWARK_VERDICT_URL) and its key in BULWARK_API_KEY when it requires one, or stop serve and run again.`;
}

/**
 * Calls serve's analyst API (`/api/report`, `/api/hunt`) with the API key as a bearer token. Errors come back
 * as one-line messages (unreachable, refused credentials, an older serve without the API).
 *
 * @example
 * const r = await callServe<{ data: ReportData }>(route, '/api/report?since=24h');
 */
export async function callServe<T>(
  route: { url: string; apiKey: string | undefined },
  pathAndQuery: string,
  init: { method?: 'GET' | 'POST'; body?: unknown; timeoutMillis?: number } = {},
  fetchImpl: typeof fetch = fetch,
): Promise<ServeAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (route.apiKey) headers.authorization = `Bearer ${route.apiKey}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetchImpl(`${route.url}${pathAndQuery}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(init.timeoutMillis ?? 120_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return {
      ok: false,
      message: `cannot reach it: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
    };
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: { message?: string } } | undefined)?.error?.message;
    if (res.status === 404)
      return { ok: false, message: 'HTTP 404: this serve has no analyst API; upgrade it' };
    if (res.status === 401 || res.status === 403)
      return {
        ok: false,
        message: `HTTP ${res.status}: ${error ?? 'credentials refused'}; set BULWARK_ANALYST_KEY to one of serve's BULWARK_ANALYST_KEYS`,
      };
    return { ok: false, message: `HTTP ${res.status}: ${error ?? text.slice(0, 200)}` };
  }
  if (body === undefined) return { ok: false, message: 'it answered something other than JSON' };
  return { ok: true, value: body as T };
}
