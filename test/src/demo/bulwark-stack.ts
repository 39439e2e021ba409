import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type RunningCollector, StorageWorker, startCollector } from '@bulwark/collector';
import type { EventBus } from '@bulwark/contracts';
import { DetectionEngine } from '@bulwark/detectors';
import { type EventStore, QUERIES, type StreamMetrics } from '@bulwark/stream';
import { type Logger, pino } from 'pino';

/** What to run: the in-process bus + embedded chdb (what `bulwark serve` runs by default), or Kafka + a ClickHouse server. */
export interface BulwarkStackOptions {
  /** `memory` (default) or `kafka`. */
  bus?: 'memory' | 'kafka';
  kafkaBrokers?: string[];
  /** `chdb` (default, embedded) or `server`. */
  store?: 'chdb' | 'server';
  /** chdb data directory. Default: a fresh temporary directory, removed on close. */
  dataDir?: string;
  clickhouseUrl?: string;
  /** Database in the store. Default `bulwark`. */
  database?: string;
  port?: number;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /**
   * Run the in-process bus with its write-ahead log under the data directory, as `bulwark serve` does with the
   * embedded store (acknowledge only what is durable). Default false: most tests do not need the fsyncs.
   */
  busWal?: boolean;
  /** Records the in-process bus holds before it pushes back (429). Default: the collector's. */
  busMaxBufferedRecords?: number;
  /** Kafka topic prefix, so a benchmark does not read another run's records. Default `bulwark`. */
  kafkaTopicPrefix?: string;
  /** Consumer group prefix of the worker. Default `bulwark-worker`. */
  workerGroupId?: string;
}

/** Row counts of one tenant, as the store's queries see them (duplicates counted once). */
export type StoreCounts = Record<
  'events' | 'tool_calls' | 'verdicts' | 'findings' | 'alerts' | 'dead_letters',
  number
>;

/** A running collector with its stream worker and event store. */
export interface BulwarkStack {
  url: string;
  collector: RunningCollector;
  /** The engine the collector decides verdicts with. */
  engine: DetectionEngine;
  store: EventStore;
  streamMetrics: StreamMetrics;
  /** Distinct rows per table for `tenantId`. */
  counts(tenantId: string): Promise<StoreCounts>;
  /** Stops the collector (then the worker, the bus), the store, and removes a temporary data directory. */
  close(): Promise<void>;
}

/**
 * Starts what `bulwark serve` runs, in this process: the collector (OTLP/HTTP + verdict API) on loopback, a
 * `StreamWorker` on its bus, and an event store (embedded chdb by default). The collector's engine is the
 * default one (`new DetectionEngine()` with its built-in detectors), created here so callers can see which
 * detectors it runs.
 *
 * @example
 * const stack = await startBulwarkStack({ port: 0 });
 * // export OTLP to `${stack.url}/v1/traces`, ask `${stack.url}/v1/verdicts`
 * await stack.close();
 */
export async function startBulwarkStack(options: BulwarkStackOptions = {}): Promise<BulwarkStack> {
  const logger: Logger = pino({ level: options.logLevel ?? 'warn', base: { service: 'bulwark-stack' } });
  const storeKind = options.store ?? 'chdb';
  const tempDir =
    storeKind === 'chdb' && !options.dataDir
      ? mkdtempSync(path.join(os.tmpdir(), 'bulwark-data-'))
      : undefined;
  const engine = new DetectionEngine({ monotonicMicros: () => performance.now() * 1000 });
  const prefix = options.kafkaTopicPrefix ?? 'bulwark';
  const busKind = options.bus ?? 'memory';
  let storage: StorageWorker | undefined;
  let collector: RunningCollector;
  try {
    collector = await startCollector({
      port: options.port ?? 0,
      logLevel: options.logLevel ?? 'warn',
      env: {},
      engine,
      logger,
      ...(options.busMaxBufferedRecords ? { busMaxBufferedRecords: options.busMaxBufferedRecords } : {}),
      ...(options.busWal && busKind === 'memory' && storeKind === 'chdb'
        ? { busWalDir: path.join(options.dataDir ?? tempDir!, 'wal') }
        : {}),
      ...(busKind === 'kafka'
        ? {
            bus: 'kafka' as const,
            kafkaBrokers: options.kafkaBrokers ?? ['127.0.0.1:9092'],
            kafkaTopicEvents: `${prefix}.events`,
            kafkaTopicVerdicts: `${prefix}.verdicts`,
            kafkaTopicFindings: `${prefix}.findings`,
            kafkaTopicAlerts: `${prefix}.alerts`,
          }
        : {}),
      // Exactly what `bulwark serve` plugs in.
      startWorker: async (bus: EventBus) => {
        storage = await StorageWorker.start({
          bus,
          busKind,
          trustBusEvents: true,
          env: {},
          store: {
            store: storeKind === 'chdb' ? 'chdb' : 'server',
            database: options.database ?? 'bulwark',
            ...(storeKind === 'chdb' ? { dataDir: options.dataDir ?? tempDir! } : {}),
            ...(options.clickhouseUrl ? { clickhouseUrl: options.clickhouseUrl } : {}),
          },
          createEngine: () => new DetectionEngine(),
          logger,
          ...(options.workerGroupId ? { groupId: options.workerGroupId } : {}),
        });
        return storage;
      },
    });
  } catch (err) {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  const store = storage!.store;
  const streamMetrics = storage!.streamMetrics;

  const counts = async (tenantId: string): Promise<StoreCounts> => {
    const out: StoreCounts = {
      events: 0,
      tool_calls: 0,
      verdicts: 0,
      findings: 0,
      alerts: 0,
      dead_letters: 0,
    };
    const res = await store.query(QUERIES.tenantStats, { tenantId });
    if (!res.ok) throw new Error(`store query failed: ${res.message}`);
    for (const r of res.rows) if (r.table in out) out[r.table as keyof StoreCounts] = r.distinctIds;
    return out;
  };

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await collector.close(); // stops the worker, which flushes and closes the store
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    })();
    return closed;
  };
  return { url: collector.url, collector, engine, store, streamMetrics, counts, close };
}
