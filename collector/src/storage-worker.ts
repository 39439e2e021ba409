import type { EventBus } from '@bulwark/contracts';
import type { DetectionEngine } from '@bulwark/detectors';
import {
  AlertRouter,
  type AlertRoutingConfig,
  type EventStore,
  type EventStoreConfigInput,
  openEventStore,
  StreamMetrics,
  StreamWorker,
} from '@bulwark/stream';
import type { Logger } from 'pino';
import type { CollectorWorker } from './start-collector.js';

/** What the storage worker needs; everything already validated. */
export interface StorageWorkerOptions {
  bus: EventBus;
  /** `memory` or `kafka`: on the in-process bus a published record is already handed over (no flush wait). */
  busKind: 'memory' | 'kafka';
  /** Event store settings (`BULWARK_STORE`, `BULWARK_DATA_DIR`, ...), merged over `env` by `openEventStore`. */
  store?: EventStoreConfigInput;
  env?: Readonly<Record<string, string | undefined>>;
  /** Alert routing; without it alerts are stored (and shown on the dashboards) but not sent anywhere. */
  alerts?: AlertRoutingConfig;
  /** Makes the worker's engine (same policy and tool lock as the collector's). */
  createEngine: () => DetectionEngine;
  logger: Logger;
  /**
   * Run the detectors in the worker too. Default: only on Kafka (a separate worker is where detection is at
   * least once); on the in-process bus the collector's engine in this process already evaluated each event
   * and published its findings, which the worker stores and turns into incidents.
   */
  detect?: boolean;
  /** Consumer group prefix. Default `bulwark-worker`. */
  groupId?: string;
  /**
   * The in-process bus is fed only by this process's collector (`bulwark serve`), which validated every event
   * at the edge: the worker takes them as they are instead of parsing each again. Ignored on Kafka.
   */
  trustBusEvents?: boolean;
}

/**
 * The stream side of `bulwark serve`: opens the event store (embedded chdb by default, migrations applied),
 * starts a `StreamWorker` on the collector's bus and, when routing is configured, delivers alerts. Plugged into
 * `startCollector({ startWorker })`, so the collector stops it before flushing the bus, and `/readyz` follows
 * the store.
 *
 * @example
 * const collector = await startCollector({
 *   startWorker: (bus) => StorageWorker.start({ bus, busKind: 'memory', createEngine: () => new DetectionEngine(), logger }),
 * });
 */
export class StorageWorker implements CollectorWorker {
  readonly streamMetrics: StreamMetrics;
  private constructor(
    readonly store: EventStore,
    private readonly worker: StreamWorker,
    private readonly router: AlertRouter | undefined,
    streamMetrics: StreamMetrics,
    private readonly log: Logger,
  ) {
    this.streamMetrics = streamMetrics;
  }

  /** Opens the store and starts consuming. Throws `StreamConfigError` / `StoreError` when the store cannot open. */
  static async start(options: StorageWorkerOptions): Promise<StorageWorker> {
    const metrics = new StreamMetrics();
    const log = options.logger.child({ component: 'storage-worker' });
    const store = await openEventStore(options.store ?? {}, {
      env: options.env ?? process.env,
      logger: options.logger,
      metrics,
      // A service waits for its store a while (ClickHouse may start after us); a dead one fails the start.
      startRetry: { deadlineMillis: 60_000 },
    });
    const alertRouter = options.alerts
      ? new AlertRouter({ config: options.alerts, store, metrics, logger: options.logger })
      : undefined;
    const worker = new StreamWorker({
      bus: options.bus,
      store,
      createEngine: options.createEngine,
      logger: options.logger,
      metrics,
      // The in-process bus's forceFlush waits for every consumer, including the handler that would call it.
      flushBusBeforeCommit: options.busKind === 'kafka',
      detect: options.detect ?? options.busKind === 'kafka',
      // In process, the only publisher is this process's collector, which validated every event at the edge.
      trustEvents: options.busKind === 'memory' && options.trustBusEvents === true,
      ...(alertRouter ? { alertRouter } : {}),
      ...(options.groupId ? { groupId: options.groupId } : {}),
    });
    try {
      await worker.start();
    } catch (err) {
      // Subscriptions that did start must not consume into a closed store.
      await worker.shutdown().catch(() => {});
      await alertRouter?.shutdown().catch(() => {});
      await store.shutdown().catch(() => {});
      throw err;
    }
    log.info({ alerts: alertRouter ? Object.keys(options.alerts!.channels) : [] }, 'storage worker started');
    return new StorageWorker(store, worker, alertRouter, metrics, log);
  }

  isReady(): boolean {
    return this.store.isReady();
  }

  async forceFlush(): Promise<void> {
    await this.store.forceFlush();
  }

  /** Drains in-flight batches, then flushes and closes the store. */
  async shutdown(): Promise<void> {
    try {
      await this.worker.shutdown();
      await this.router?.shutdown();
    } finally {
      await this.store.shutdown();
      this.log.info({}, 'storage worker stopped');
    }
  }
}
