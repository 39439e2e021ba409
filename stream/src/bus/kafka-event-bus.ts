// The one file that talks to kafkajs. kafkajs is in maintenance mode: everything it does stays behind
// `EventBus`, so another client can replace this file without touching its callers.
import {
  BUS_TOPICS,
  type BusRecord,
  type BusSubscription,
  type BusTopic,
  type EventBus,
  type PublishOptions,
  type PublishResult,
  retry,
  type SubscribeOptions,
} from '@bulwark/contracts';
import type { Admin, Consumer, EachBatchPayload, Kafka, LogEntry, Producer } from 'kafkajs';
import { BatchQueue } from '../batch/batch-queue.js';
import { EventBusError, StreamConfigError } from '../errors.js';
import { type BusLogger, SILENT_BUS_LOGGER } from './in-process-event-bus.js';

export interface KafkaEventBusOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
  /** Default `bulwark`. */
  clientId?: string;
  /** Kafka topic per logical topic. Default `bulwark.events`, `bulwark.verdicts`, `bulwark.findings`, `bulwark.alerts`. */
  topics?: Partial<Record<BusTopic, string>>;
  /** Create missing topics at start. Default true. */
  createTopics?: boolean;
  /** Partitions of created topics. Default 6. */
  numPartitions?: number;
  /** Replication factor of created topics; -1 takes the broker default. Default -1. */
  replicationFactor?: number;
  /** Records accepted but not yet acknowledged by the broker; beyond it publish answers backpressure. Default 10 000. */
  maxBufferedRecords?: number;
  /** Same bound in bytes of serialized key + value. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Records per `sendBatch`. Default 500. */
  batchMaxRecords?: number;
  /** Serialized bytes per `sendBatch`. Default 1 MiB. */
  batchMaxBytes?: number;
  /** How long a partial batch waits for more records. Default 5 ms. */
  lingerMillis?: number;
  /** Default 3 s. */
  connectionTimeoutMillis?: number;
  /** Default 10 s. */
  requestTimeoutMillis?: number;
  /** How often an idle bus checks that the broker answers (drives `isReady`). Default 2 s. */
  healthCheckIntervalMillis?: number;
  /** Bound on `shutdown` flushing the buffer while the broker is down; what is left is logged as lost. Default 30 s. */
  shutdownTimeoutMillis?: number;
  /** Consumer session timeout. Default 10 s. */
  sessionTimeoutMillis?: number;
  /** Consumer fetch wait; also bounds how fast a subscription notices new records. Default 100 ms. */
  maxWaitTimeMillis?: number;
  /** Receives kafkajs's own log lines too. */
  logger?: BusLogger;
  /** Jitter source, injectable for tests. */
  random?: () => number;
}

/** Counters of one Kafka bus, for metrics. */
export interface KafkaEventBusStats {
  accepted: number;
  sent: number;
  sendErrors: number;
  backpressured: number;
  /** Records accepted but abandoned (only when shutdown hit its timeout with the broker down). */
  lost: number;
  buffered: number;
  bufferedBytes: number;
  handlerErrors: number;
}

interface Pending {
  topic: string;
  key: string;
  value: string;
  bytes: number;
}

type KafkaModule = typeof import('kafkajs');

const DEFAULT_TOPICS: Record<BusTopic, string> = {
  events: 'bulwark.events',
  verdicts: 'bulwark.verdicts',
  findings: 'bulwark.findings',
  alerts: 'bulwark.alerts',
};

const NUMERIC_DEFAULTS = {
  numPartitions: 6,
  replicationFactor: -1,
  maxBufferedRecords: 10_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  batchMaxRecords: 500,
  batchMaxBytes: 1024 * 1024,
  lingerMillis: 5,
  connectionTimeoutMillis: 3_000,
  requestTimeoutMillis: 10_000,
  healthCheckIntervalMillis: 2_000,
  shutdownTimeoutMillis: 30_000,
  sessionTimeoutMillis: 10_000,
  maxWaitTimeMillis: 100,
};

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** Errors after which the bus reports not ready: the broker is unreachable, not merely one request failed. */
function isConnectivityError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; cause?: unknown } | undefined;
  const name = e?.name ?? '';
  if (
    /KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded|KafkaJSRequestTimeoutError|KafkaJSBrokerNotFound|KafkaJSNoBrokerAvailableError|KafkaJSConnectionClosedError|KafkaJSNonRetriableError|KafkaJSTimeout/.test(
      name,
    )
  ) {
    return true;
  }
  return /ECONNREFUSED|ECONNRESET|Connection error|Closed connection|timed out/i.test(e?.message ?? '');
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/**
 * `EventBus` over Apache Kafka (kafkajs). Records are keyed by the caller's key (the session key), so one
 * session stays ordered on one partition. The producer is idempotent (`maxInFlightRequests: 1`), GZIP
 * compressed and batched: `publish` accepts records into a bounded buffer (answering `backpressure`, or
 * `unavailable` while the broker is down, when full) and one sender drains it with `sendBatch`, retrying
 * failed batches in order until the broker takes them. `isReady()` is false while the broker is unreachable;
 * the process stays up and resumes when it returns. `subscribe` runs a consumer group with `eachBatch` and
 * commits offsets only after the handler resolved; a handler that throws gets the batch again.
 *
 * @example
 * const bus = new KafkaEventBus({ brokers: ['127.0.0.1:9092'], logger: pino().child({ component: 'kafka' }) });
 * await bus.start();
 * await bus.publish('events', [{ key: sessionKey('t', 's'), value: event }]);
 * await bus.shutdown(); // flushes everything accepted
 */
export class KafkaEventBus implements EventBus {
  private readonly brokers: string[];
  private readonly clientId: string;
  private readonly topicNames: Record<BusTopic, string>;
  private readonly createTopics: boolean;
  private readonly o: typeof NUMERIC_DEFAULTS;
  private readonly logger: BusLogger;
  private readonly random: () => number;

  private kafkajs: KafkaModule | undefined;
  private kafka: Kafka | undefined;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private started: Promise<void> | undefined;
  private connected = false;
  private healthy = false;
  private closing = false;
  private closed = false;
  private healthTimer: NodeJS.Timeout | undefined;

  private readonly queue: BatchQueue<Pending>;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private readonly counters = {
    sendErrors: 0,
    backpressured: 0,
    handlerErrors: 0,
  };

  constructor(options: KafkaEventBusOptions) {
    const issues: string[] = [];
    if (!Array.isArray(options.brokers) || options.brokers.length === 0)
      issues.push('brokers: at least one host:port');
    for (const b of options.brokers ?? [])
      if (!/^[^:\s]+:\d{1,5}$/.test(b)) issues.push(`brokers: "${b}" is not host:port`);
    const o = { ...NUMERIC_DEFAULTS };
    for (const k of Object.keys(NUMERIC_DEFAULTS) as (keyof typeof NUMERIC_DEFAULTS)[]) {
      const v = options[k];
      if (v === undefined) continue;
      const min = k === 'replicationFactor' ? -1 : k === 'lingerMillis' ? 0 : 1;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
        issues.push(`${k}: must be an integer >= ${min}, got ${v}`);
      else o[k] = v;
    }
    const topicNames = { ...DEFAULT_TOPICS, ...options.topics };
    for (const t of BUS_TOPICS) {
      if (!/^[A-Za-z0-9._-]{1,249}$/.test(topicNames[t]))
        issues.push(`topics.${t}: "${topicNames[t]}" is not a valid Kafka topic name`);
    }
    if (issues.length > 0) throw new StreamConfigError('KafkaEventBus', issues);
    this.brokers = [...options.brokers];
    this.clientId = options.clientId ?? 'bulwark';
    this.topicNames = topicNames;
    this.createTopics = options.createTopics ?? true;
    this.o = o;
    this.logger = options.logger ?? SILENT_BUS_LOGGER;
    this.random = options.random ?? Math.random;
    this.queue = new BatchQueue<Pending>({
      send: (_lane, batch) => this.sendBatch(batch),
      sizeOf: (p) => p.bytes,
      maxBatchItems: o.batchMaxRecords,
      maxBatchBytes: o.batchMaxBytes,
      lingerMillis: o.lingerMillis,
      maxBufferedItems: o.maxBufferedRecords,
      maxBufferedBytes: o.maxBufferedBytes,
      admitOversizedWhenEmpty: false,
      // kafkajs errors do not carry our `retriable`; every send failure is worth another try.
      retry: {
        maxAttempts: 8,
        initialDelayMillis: 100,
        maxDelayMillis: 2_000,
        deadlineMillis: 15_000,
        random: this.random,
        shouldRetry: () => true,
      },
      // Never drop accepted records: a batch that gave up stays at the head and is tried again after
      // 500 ms; the bounded buffer turns a long outage into backpressure for the callers.
      outageBackoffMillis: 500,
      maxOutageBackoffMillis: 500,
      canSend: () => this.producer !== undefined,
      onRetry: (_lane, err, attempt) => {
        this.counters.sendErrors += 1;
        if (isConnectivityError(err)) this.healthy = false;
        this.logger.warn({ attempt, err: errorText(err) }, 'Kafka bus: sendBatch failed, retrying');
      },
      onOutage: ({ err, buffered }) => {
        this.counters.sendErrors += 1;
        this.healthy = false;
        this.logger.error(
          { buffered, err: String(err) },
          'Kafka bus: sendBatch still failing; keeping the records and trying again',
        );
      },
    });
  }

  /** Kafka topic name of a logical topic. */
  topicName(topic: BusTopic): string {
    return this.topicNames[topic];
  }

  /**
   * Connects the producer and creates the topics. Never rejects because the broker is down: it keeps
   * trying in the background (`isReady()` stays false meanwhile) and records are buffered up to the bound.
   * Resolves after the first attempt, or earlier success.
   */
  start(): Promise<void> {
    if (!this.started) {
      this.started = (async () => {
        this.kafkajs = await import('kafkajs');
        const { Kafka, logLevel } = this.kafkajs;
        this.kafka = new Kafka({
          clientId: this.clientId,
          brokers: this.brokers,
          connectionTimeout: this.o.connectionTimeoutMillis,
          requestTimeout: this.o.requestTimeoutMillis,
          retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 3 },
          logLevel: logLevel.INFO,
          logCreator: () => (entry: LogEntry) => this.kafkaLog(entry),
        });
        this.producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          createPartitioner: this.kafkajs.Partitioners.DefaultPartitioner,
          retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 3 },
        });
        this.admin = this.kafka.admin({ retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 } });
        let firstAttemptDone: () => void = () => {};
        const firstAttempt = new Promise<void>((resolve) => {
          firstAttemptDone = resolve;
        });
        void this.connect(firstAttemptDone);
        this.healthTimer = setInterval(() => void this.checkHealth(), this.o.healthCheckIntervalMillis);
        this.healthTimer.unref();
        await firstAttempt;
      })();
    }
    return this.started;
  }

  /** Resolves true once the broker is reachable, false after `timeoutMillis`. */
  async whenReady(timeoutMillis: number): Promise<boolean> {
    await this.start();
    const deadline = Date.now() + timeoutMillis;
    while (!this.isReady()) {
      if (Date.now() >= deadline || this.closed) return false;
      await sleep(25);
    }
    return true;
  }

  async publish<T>(
    topic: BusTopic,
    records: readonly BusRecord<T>[],
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    if (this.closing)
      return { ok: false, reason: 'closed', retryAfterMillis: 0, message: 'Kafka bus is shut down' };
    if (records.length === 0) return { ok: true, count: 0 };
    const name = this.topicNames[topic];
    const items: Pending[] = records.map((r) => {
      const value = JSON.stringify(r.value) ?? 'null';
      return { topic: name, key: r.key, value, bytes: Buffer.byteLength(r.key) + Buffer.byteLength(value) };
    });
    const res = this.queue.add(items);
    if (!res.ok) {
      if (res.reason === 'closed')
        return { ok: false, reason: 'closed', retryAfterMillis: 0, message: 'Kafka bus is shut down' };
      this.counters.backpressured += items.length;
      const down = !this.isReady();
      const q = this.queue.stats();
      return {
        ok: false,
        reason: down ? 'unavailable' : 'backpressure',
        retryAfterMillis: down ? 1_000 : 100,
        message: `${down ? 'Kafka is unreachable and ' : ''}the producer buffer holds ${q.buffered} record(s) / ${q.bufferedBytes} byte(s); ${items.length} more would exceed ${res.bound === 'items' ? `maxBufferedRecords=${this.o.maxBufferedRecords}` : `maxBufferedBytes=${this.o.maxBufferedBytes}`}`,
      };
    }
    if (options.durable) {
      const timeoutMillis = options.durableTimeoutMillis ?? 5_000;
      // Shutdown releases every waiter: only records the broker really took count as durable.
      if (!(await this.queue.settled(res.mark, timeoutMillis))) {
        return {
          ok: false,
          reason: 'unavailable',
          retryAfterMillis: 1_000,
          message: `Kafka did not acknowledge the records within ${timeoutMillis} ms; they stay buffered and will be delivered (a retry is a harmless duplicate)`,
        };
      }
    }
    return { ok: true, count: items.length };
  }

  async subscribe<T>(
    topic: BusTopic,
    handler: (records: readonly BusRecord<T>[]) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<BusSubscription> {
    if (this.closing) throw new EventBusError('closed', 'Kafka bus: cannot subscribe after shutdown');
    await this.start();
    const kafka = this.kafka!;
    const sub = new KafkaSubscription(
      kafka,
      this.topicNames[topic],
      handler as (records: readonly BusRecord<unknown>[]) => Promise<void>,
      options,
      this.o,
      this.logger,
      this.random,
      () => {
        this.counters.handlerErrors += 1;
      },
    );
    try {
      await retry(() => sub.start(), {
        maxAttempts: 20,
        initialDelayMillis: 200,
        maxDelayMillis: 2_000,
        deadlineMillis: 30_000,
        random: this.random,
        shouldRetry: () => !this.closing,
      });
    } catch (err) {
      await sub.close().catch(() => {});
      throw new EventBusError(
        'unavailable',
        `Kafka bus: could not subscribe to ${this.topicNames[topic]}: ${errorText(err)}`,
        {
          retriable: true,
          cause: err,
        },
      );
    }
    this.subscriptions.add(sub);
    return {
      close: async () => {
        this.subscriptions.delete(sub);
        await sub.close();
      },
    };
  }

  isReady(): boolean {
    return this.connected && this.healthy && !this.closing;
  }

  /** Resolves when every record accepted so far has been acknowledged by the broker. */
  async forceFlush(): Promise<void> {
    await this.queue.flush();
  }

  /**
   * Stops accepting, flushes the buffer (bounded by `shutdownTimeoutMillis` if the broker stays down), closes
   * subscriptions (each finishes and commits its batch) and disconnects.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    if (this.started) {
      await this.started;
      const flushed = await this.queue.close(this.o.shutdownTimeoutMillis);
      if (!flushed) {
        const lost = await this.queue.abandon();
        this.logger.error(
          { lost, shutdownTimeoutMillis: this.o.shutdownTimeoutMillis },
          'Kafka bus: broker unreachable at shutdown; buffered records were not delivered',
        );
      }
      await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
      this.subscriptions.clear();
    }
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    // Never started: what was accepted had no producer to go to; counted as lost, waiters released.
    if (this.queue.stats().buffered > 0) await this.queue.abandon();
    await Promise.allSettled([this.producer?.disconnect(), this.admin?.disconnect()]);
    this.connected = false;
  }

  stats(): KafkaEventBusStats {
    const q = this.queue.stats();
    return {
      ...this.counters,
      accepted: q.accepted,
      sent: q.sent,
      lost: q.lost,
      buffered: q.buffered,
      bufferedBytes: q.bufferedBytes,
    };
  }

  // ---------------------------------------------------------------- producer side

  /** Connect loop: runs until connected or shut down; `attempted` fires after the first try. */
  private async connect(attempted: () => void): Promise<void> {
    while (!this.closed && !this.connected) {
      try {
        await this.admin!.connect();
        await this.producer!.connect();
        if (this.createTopics) await this.ensureTopics();
        this.connected = true;
        this.healthy = true;
        this.logger.info({ brokers: this.brokers, topics: this.topicNames }, 'Kafka bus connected');
        attempted();
        this.queue.kick();
        return;
      } catch (err) {
        this.healthy = false;
        attempted();
        this.logger.warn(
          { brokers: this.brokers, err: errorText(err) },
          'Kafka bus: broker unreachable, retrying',
        );
        if (this.closing) return;
        await sleep(Math.min(2_000, this.o.healthCheckIntervalMillis));
      }
    }
    attempted();
  }

  private async ensureTopics(): Promise<void> {
    const existing = new Set(await this.admin!.listTopics());
    const missing = BUS_TOPICS.map((t) => this.topicNames[t]).filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await this.admin!.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.o.numPartitions,
        replicationFactor: this.o.replicationFactor,
      })),
    });
    this.logger.info({ topics: missing, numPartitions: this.o.numPartitions }, 'Kafka bus: created topics');
  }

  private async checkHealth(): Promise<void> {
    if (this.closed || !this.admin) return;
    if (!this.connected) return; // connect() loop is already on it
    try {
      await Promise.race([
        this.admin.describeCluster(),
        sleep(this.o.connectionTimeoutMillis + this.o.requestTimeoutMillis).then(() => {
          throw new Error('health check timed out');
        }),
      ]);
      if (!this.healthy) this.logger.info({ brokers: this.brokers }, 'Kafka bus: broker reachable again');
      this.healthy = true;
      this.queue.kick();
    } catch (err) {
      if (this.healthy) this.logger.warn({ err: errorText(err) }, 'Kafka bus: broker unreachable, not ready');
      this.healthy = false;
    }
  }

  /** Sends one batch (the queue retries it, one batch in flight, so records leave in the order accepted). */
  private async sendBatch(batch: readonly Pending[]): Promise<void> {
    if (!this.connected) throw Object.assign(new Error('not connected yet'), { retriable: true });
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list) list.push({ key: p.key, value: p.value });
      else byTopic.set(p.topic, [{ key: p.key, value: p.value }]);
    }
    await this.producer!.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: -1,
      compression: this.kafkajs!.CompressionTypes.GZIP,
      timeout: this.o.requestTimeoutMillis,
    });
    if (!this.healthy) this.logger.info({}, 'Kafka bus: broker accepting records again');
    this.healthy = true;
  }

  private kafkaLog(entry: LogEntry): void {
    const { message, timestamp: _t, ...rest } = entry.log;
    const obj = { kafkajs: entry.namespace, ...rest };
    const levels = this.kafkajs?.logLevel;
    // kafkajs logs every broker disconnect at ERROR; our own warnings already say when the broker is down.
    if (entry.level === levels?.ERROR) this.logger.warn(obj, `kafkajs: ${message}`);
    else if (entry.level === levels?.WARN) this.logger.warn(obj, `kafkajs: ${message}`);
    else if (entry.level === levels?.INFO) this.logger.debug(obj, `kafkajs: ${message}`);
    else this.logger.debug(obj, `kafkajs: ${message}`);
  }
}

/** One consumer group member of one topic. */
class KafkaSubscription {
  private consumer: Consumer | undefined;
  private closing = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly handler: (records: readonly BusRecord<unknown>[]) => Promise<void>,
    private readonly options: SubscribeOptions,
    private readonly o: typeof NUMERIC_DEFAULTS,
    private readonly logger: BusLogger,
    private readonly random: () => number,
    private readonly onHandlerError: () => void,
  ) {}

  async start(): Promise<void> {
    if (this.consumer) await this.consumer.disconnect().catch(() => {});
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.o.sessionTimeoutMillis,
      heartbeatInterval: Math.max(100, Math.floor(this.o.sessionTimeoutMillis / 5)),
      maxWaitTimeInMs: this.o.maxWaitTimeMillis,
      allowAutoTopicCreation: false,
      // A crashed consumer (broker gone) restarts itself; uncommitted batches are fetched again.
      retry: {
        initialRetryTime: 200,
        maxRetryTime: 2_000,
        retries: 5,
        restartOnFailure: async () => !this.closing,
      },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const records: BusRecord<unknown>[] = batch.messages.map((m) => {
      const raw = m.value?.toString('utf8') ?? 'null';
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        // Not ours (another producer on the topic): hand over the text rather than dropping it.
        value = raw;
      }
      return { key: m.key?.toString('utf8') ?? '', value, partition: batch.partition, offset: m.offset };
    });
    // Same batch again until the handler takes it; stop (uncommitted, so it is redelivered) on close/rebalance.
    await retry(() => this.handler(records), {
      maxAttempts: Number.POSITIVE_INFINITY,
      deadlineMillis: Number.POSITIVE_INFINITY,
      initialDelayMillis: 50,
      maxDelayMillis: 2_000,
      random: this.random,
      shouldRetry: () => isRunning() && !isStale() && !this.closing,
      onRetry: (err, attempt, delayMillis) => {
        this.onHandlerError();
        this.logger.warn(
          {
            topic: this.topic,
            groupId: this.options.groupId,
            partition: batch.partition,
            attempt,
            delayMillis,
            err: errorText(err),
          },
          'Kafka bus: handler failed, redelivering the batch',
        );
        void heartbeat().catch(() => {});
      },
    });
    const last = batch.messages[batch.messages.length - 1]!.offset;
    resolveOffset(last);
    await commitOffsetsIfNecessary({
      topics: [
        {
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
        },
      ],
    });
    await heartbeat();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.consumer?.disconnect();
  }
}
