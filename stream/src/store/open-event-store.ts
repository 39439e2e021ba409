import { formatZodIssues } from '@bulwark/contracts';
import { z } from 'zod';
import { StreamConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { StreamMetrics } from '../worker/stream-metrics.js';
import { ChdbEventStore } from './chdb-event-store.js';
import { ClickHouseServerEventStore } from './clickhouse-server-event-store.js';
import type { EventStore } from './event-store.js';

const ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)');
const positiveInt = z.coerce.number().int().positive();

/** Event store settings. Precedence: code options > `BULWARK_*` env > defaults. */
export const EventStoreConfigSchema = z
  .object({
    /** `chdb` (embedded, default) or `server`. */
    store: z.enum(['chdb', 'server']).default('chdb'),
    dataDir: z.string().min(1).default('.bulwark-data'),
    clickhouseUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8123'),
    database: ident.default('bulwark'),
    clickhouseUser: z.string().optional(),
    clickhousePassword: z.string().optional(),
    retentionDays: positiveInt.max(36_500).default(30),
    maxBatchRows: positiveInt.default(5_000),
    flushIntervalMillis: positiveInt.default(1_000),
    maxBufferedRows: positiveInt.default(100_000),
    requestTimeoutMillis: positiveInt.default(10_000),
  })
  .strict();
export type EventStoreConfig = z.infer<typeof EventStoreConfigSchema>;
export type EventStoreConfigInput = z.input<typeof EventStoreConfigSchema>;

/** The environment variable of each setting. */
export const EVENT_STORE_ENV: Readonly<Record<keyof EventStoreConfig, string>> = {
  store: 'BULWARK_STORE',
  dataDir: 'BULWARK_DATA_DIR',
  clickhouseUrl: 'BULWARK_CLICKHOUSE_URL',
  database: 'BULWARK_CLICKHOUSE_DATABASE',
  clickhouseUser: 'BULWARK_CLICKHOUSE_USER',
  clickhousePassword: 'BULWARK_CLICKHOUSE_PASSWORD',
  retentionDays: 'BULWARK_RETENTION_DAYS',
  maxBatchRows: 'BULWARK_STORE_MAX_BATCH_ROWS',
  flushIntervalMillis: 'BULWARK_STORE_FLUSH_INTERVAL_MILLIS',
  maxBufferedRows: 'BULWARK_STORE_MAX_BUFFERED_ROWS',
  requestTimeoutMillis: 'BULWARK_CLICKHOUSE_REQUEST_TIMEOUT_MILLIS',
};

/**
 * Builds and validates the store configuration once. Returns every problem, each naming its option and env
 * variable, e.g. `store (BULWARK_STORE): Invalid option: expected one of "chdb"|"server"`.
 *
 * @example
 * const c = loadEventStoreConfig({ store: 'server' }, process.env);
 * if (!c.ok) { console.error(c.issues.join('\n')); process.exit(2); }
 */
export function loadEventStoreConfig(
  options: Partial<Record<keyof EventStoreConfig, unknown>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { ok: true; config: EventStoreConfig } | { ok: false; issues: string[] } {
  const merged: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(EVENT_STORE_ENV)) {
    const fromCode = options[key as keyof EventStoreConfig];
    const fromEnv = env[envName];
    if (fromCode !== undefined) merged[key] = fromCode;
    else if (fromEnv !== undefined && fromEnv !== '') merged[key] = fromEnv;
  }
  for (const key of Object.keys(options)) if (!(key in EVENT_STORE_ENV)) merged[key] = options[key as never];
  const res = EventStoreConfigSchema.safeParse(merged);
  if (res.success) return { ok: true, config: res.data };
  return {
    ok: false,
    // Each bad key with the environment variable that sets it, whatever the path below it.
    issues: formatZodIssues(res.error, {
      key: (key) => {
        const envName = EVENT_STORE_ENV[key as keyof EventStoreConfig];
        return envName ? `${key} (${envName})` : key;
      },
    }),
  };
}

/**
 * Opens the configured store (migrations applied). Throws `StreamConfigError` for bad configuration and
 * `StoreError` when the store cannot be opened.
 *
 * @example
 * const store = await openEventStore({ store: 'server', clickhouseUrl: 'http://127.0.0.1:8123' });
 */
export async function openEventStore(
  options: EventStoreConfigInput = {},
  extra: {
    env?: Readonly<Record<string, string | undefined>>;
    logger?: Logger;
    metrics?: StreamMetrics;
    /** Attempts to reach the store at start (a CLI wants to fail fast, a service to wait). */
    startRetry?: { maxAttempts?: number; deadlineMillis?: number };
  } = {},
): Promise<EventStore> {
  const checked = loadEventStoreConfig(options, extra.env ?? process.env);
  if (!checked.ok) throw new StreamConfigError('event store', checked.issues);
  const c = checked.config;
  const common = {
    retentionDays: c.retentionDays,
    batching: {
      maxBatchRows: c.maxBatchRows,
      flushIntervalMillis: c.flushIntervalMillis,
      maxBufferedRows: c.maxBufferedRows,
    },
    ...(extra.logger ? { logger: extra.logger } : {}),
    ...(extra.metrics ? { metrics: extra.metrics } : {}),
    ...(extra.startRetry ? { startRetry: extra.startRetry } : {}),
  };
  if (c.store === 'chdb') return ChdbEventStore.open({ ...common, dataDir: c.dataDir, database: c.database });
  return ClickHouseServerEventStore.open({
    ...common,
    url: c.clickhouseUrl,
    database: c.database,
    requestTimeoutMillis: c.requestTimeoutMillis,
    ...(c.clickhouseUser !== undefined ? { username: c.clickhouseUser } : {}),
    ...(c.clickhousePassword !== undefined ? { password: c.clickhousePassword } : {}),
  });
}
