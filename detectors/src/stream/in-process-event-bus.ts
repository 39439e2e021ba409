import {
  type BusRecord,
  type BusSubscription,
  type BusTopic,
  type EventBus,
  type PublishResult,
  retry,
  type SubscribeOptions,
} from '@bulwark/contracts';
import { EventBusError, StreamConfigError } from '../errors.js';

/**
 * The logging surface the buses need; a pino logger fits it.
 *
 * @example
 * const bus = new InProcessEventBus({ logger: pino().child({ component: 'bus' }) });
 */
export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};
/**
 * Logger that drops everything: the default when the caller passes none.
 *
 * @example
 * new KafkaEventBus({ brokers: ['127.0.0.1:9092'], logger: SILENT_BUS_LOGGER });
 */
export const SILENT_BUS_LOGGER: BusLogger = { debug: noop, info: noop, warn: noop, error: noop };

export interface InProcessEventBusOptions {
  /** Per topic: records not yet handled by every active consumer group. Beyond it, publish answers backpressure. Default 10 000. */
  maxBufferedRecords?: number;
  /** Records per handler call. Default 5 000: a consumer that waits on a group commit gets bigger deliveries under load. */
  maxBatchRecords?: number;
  /** First redelivery delay after a handler failure (full jitter, doubling). Default 50 ms. */
  redeliveryInitialDelayMillis?: number;
  /** Cap on one redelivery delay. Default 2 s. */
  redeliveryMaxDelayMillis?: number;
  /** What `publish` suggests as Retry-After when full. Default 200 ms. */
  retryAfterMillis?: number;
  /** Bound on how long `forceFlush`/`shutdown` wait for handlers to catch up. Default 10 s. */
  flushTimeoutMillis?: number;
  logger?: BusLogger;
  /** Jitter source, injectable for tests. */
  random?: () => number;
}

/** Counters of one in-process bus, for metrics and tests. */
export interface InProcessEventBusStats {
  published: number;
  delivered: number;
  handlerErrors: number;
  /** Records evicted unread because no active consumer group needed them (nobody subscribed). */
  evicted: number;
  backpressured: number;
  /** Records still waiting for an active group, per topic. */
  pending: Record<BusTopic, number>;
}

interface Member {
  handler: (records: readonly BusRecord<unknown>[]) => Promise<void>;
  closed: boolean;
}

interface Group {
  id: string;
  /** Next offset to deliver. */
  cursor: number;
  members: Member[];
  nextMember: number;
  running: boolean;
  /** Resolves the pump's idle wait when records arrive or a member closes. */
  wake: (() => void) | undefined;
  /** Settles when the batch in flight has been handled (or given up on). */
  inFlight: Promise<void> | undefined;
  /** Wakes a redelivery backoff early when the bus or a member closes. */
  abortBackoff: (() => void) | undefined;
}

interface TopicLog {
  records: BusRecord<unknown>[];
  /** Offset of `records[0]`. */
  base: number;
  groups: Map<string, Group>;
}

const DEFAULTS = {
  maxBufferedRecords: 10_000,
  maxBatchRecords: 5_000,
  redeliveryInitialDelayMillis: 50,
  redeliveryMaxDelayMillis: 2_000,
  retryAfterMillis: 200,
  flushTimeoutMillis: 10_000,
};

/**
 * The default `EventBus`: bounded, in one process. Each topic keeps a log of at most `maxBufferedRecords`;
 * each consumer group has a cursor and gets every record in publish order, one batch at a time (members of
 * a group take turns, so per-key order holds). A handler that throws gets the same batch again after a
 * jittered backoff, until it succeeds or its subscription closes: at least once. A full log answers
 * `{ ok: false, reason: 'backpressure' }` rather than growing. Records nobody is subscribed to are kept
 * (the newest `maxBufferedRecords`) for a later `fromBeginning` subscriber, then evicted and counted.
 * Values are passed by reference: handlers must not mutate them.
 *
 * @example
 * const bus = new InProcessEventBus({ maxBufferedRecords: 10_000 });
 * await bus.subscribe('events', async (records) => store.insert(records), { groupId: 'store' });
 * const res = await bus.publish('events', [{ key: sessionKey('t', 's'), value: event }]);
 * if (!res.ok) reply(429, res.retryAfterMillis);
 */
export class InProcessEventBus implements EventBus {
  private readonly options: typeof DEFAULTS;
  private readonly logger: BusLogger;
  private readonly random: () => number;
  private readonly topics = new Map<BusTopic, TopicLog>();
  private closed = false;
  private readonly counters = { published: 0, delivered: 0, handlerErrors: 0, evicted: 0, backpressured: 0 };

  constructor(options: InProcessEventBusOptions = {}) {
    const merged = { ...DEFAULTS };
    const issues: string[] = [];
    for (const k of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      const v = options[k];
      if (v === undefined) continue;
      const min = k.endsWith('Records') ? 1 : 0;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
        issues.push(`${k}: must be a number >= ${min}, got ${v}`);
      else merged[k] = v;
    }
    if (issues.length > 0) throw new StreamConfigError('InProcessEventBus', issues);
    this.options = merged;
    this.logger = options.logger ?? SILENT_BUS_LOGGER;
    this.random = options.random ?? Math.random;
  }

  async publish<T>(topic: BusTopic, records: readonly BusRecord<T>[]): Promise<PublishResult> {
    if (this.closed) {
      return { ok: false, reason: 'closed', retryAfterMillis: 0, message: 'event bus is shut down' };
    }
    if (records.length === 0) return { ok: true, count: 0 };
    const log = this.log(topic);
    const end = log.base + log.records.length;
    const oldestNeeded = this.oldestNeeded(log);
    const pending = oldestNeeded === undefined ? 0 : end - oldestNeeded;
    if (pending + records.length > this.options.maxBufferedRecords) {
      this.counters.backpressured += records.length;
      return {
        ok: false,
        reason: 'backpressure',
        retryAfterMillis: this.options.retryAfterMillis,
        message: `topic ${topic} holds ${pending} unhandled record(s); ${records.length} more would exceed maxBufferedRecords=${this.options.maxBufferedRecords}`,
      };
    }
    for (const r of records) log.records.push({ key: r.key, value: r.value });
    this.counters.published += records.length;
    // Evict only what no active group still needs (guaranteed by the check above).
    const excess = log.records.length - this.options.maxBufferedRecords;
    if (excess > 0) {
      log.records.splice(0, excess);
      log.base += excess;
      this.counters.evicted += excess;
    }
    for (const g of log.groups.values()) g.wake?.();
    return { ok: true, count: records.length };
  }

  async subscribe<T>(
    topic: BusTopic,
    handler: (records: readonly BusRecord<T>[]) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<BusSubscription> {
    if (this.closed) throw new EventBusError('closed', 'in-process bus: cannot subscribe after shutdown');
    const log = this.log(topic);
    let group = log.groups.get(options.groupId);
    if (!group) {
      const fromBeginning = options.fromBeginning ?? true;
      group = {
        id: options.groupId,
        cursor: fromBeginning ? log.base : log.base + log.records.length,
        members: [],
        nextMember: 0,
        running: false,
        wake: undefined,
        inFlight: undefined,
        abortBackoff: undefined,
      };
      log.groups.set(options.groupId, group);
    }
    const member: Member = {
      handler: handler as (records: readonly BusRecord<unknown>[]) => Promise<void>,
      closed: false,
    };
    group.members.push(member);
    const g = group;
    if (!g.running) void this.pump(topic, log, g);
    return {
      close: async () => {
        if (member.closed) return;
        member.closed = true;
        g.members = g.members.filter((m) => m !== member);
        if (g.members.length === 0) g.abortBackoff?.();
        g.wake?.();
        await g.inFlight;
      },
    };
  }

  isReady(): boolean {
    return !this.closed;
  }

  /** Waits (bounded by `flushTimeoutMillis`) until every active group has handled everything published. */
  async forceFlush(): Promise<void> {
    const deadline = Date.now() + this.options.flushTimeoutMillis;
    while (this.pendingTotal() > 0) {
      if (Date.now() >= deadline) {
        this.logger.warn(
          { pending: this.pendingTotal(), flushTimeoutMillis: this.options.flushTimeoutMillis },
          'in-process bus: handlers did not catch up before the flush timeout',
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Stops accepting records, lets active groups drain (bounded), then closes every subscription. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.forceFlush();
    const waits: Promise<void>[] = [];
    for (const log of this.topics.values()) {
      for (const g of log.groups.values()) {
        for (const m of g.members) m.closed = true;
        g.members = [];
        g.abortBackoff?.();
        g.wake?.();
        if (g.inFlight) waits.push(g.inFlight);
      }
    }
    await Promise.all(waits);
  }

  /** Counters and backlog, for metrics. */
  stats(): InProcessEventBusStats {
    const pending = {} as Record<BusTopic, number>;
    for (const [topic, log] of this.topics) {
      const oldest = this.oldestNeeded(log);
      pending[topic] = oldest === undefined ? 0 : log.base + log.records.length - oldest;
    }
    return { ...this.counters, pending };
  }

  private log(topic: BusTopic): TopicLog {
    let log = this.topics.get(topic);
    if (!log) {
      log = { records: [], base: 0, groups: new Map() };
      this.topics.set(topic, log);
    }
    return log;
  }

  /** Lowest cursor among groups with live members; inactive groups do not hold records back. */
  private oldestNeeded(log: TopicLog): number | undefined {
    let oldest: number | undefined;
    for (const g of log.groups.values()) {
      if (g.members.length === 0) continue;
      const c = Math.max(g.cursor, log.base);
      if (oldest === undefined || c < oldest) oldest = c;
    }
    return oldest;
  }

  private pendingTotal(): number {
    let n = 0;
    for (const log of this.topics.values()) {
      const oldest = this.oldestNeeded(log);
      if (oldest !== undefined) n += log.base + log.records.length - oldest;
    }
    return n;
  }

  /** One delivery loop per group: hand the next batch to a member, advance the cursor only on success. */
  private async pump(topic: BusTopic, log: TopicLog, g: Group): Promise<void> {
    g.running = true;
    try {
      for (;;) {
        if (g.members.length === 0) return;
        g.cursor = Math.max(g.cursor, log.base);
        const end = log.base + log.records.length;
        if (g.cursor >= end) {
          await new Promise<void>((resolve) => {
            g.wake = resolve;
          });
          g.wake = undefined;
          continue;
        }
        const start = g.cursor - log.base;
        const batch = log.records.slice(start, start + this.options.maxBatchRecords).map((r, i) => ({
          key: r.key,
          value: r.value,
          partition: 0,
          offset: String(g.cursor + i),
        }));
        let settle: () => void = noop;
        g.inFlight = new Promise<void>((resolve) => {
          settle = resolve;
        });
        try {
          const delivered = await this.deliver(topic, g, batch);
          if (delivered) {
            g.cursor += batch.length;
            this.counters.delivered += batch.length;
          }
        } finally {
          g.inFlight = undefined;
          settle();
        }
      }
    } finally {
      g.running = false;
    }
  }

  /** Calls a member until one succeeds (true) or the group has no live member left (false). */
  private async deliver(topic: BusTopic, g: Group, batch: BusRecord<unknown>[]): Promise<boolean> {
    const gaveUp = new Error('no live member');
    try {
      await retry(
        async () => {
          const member = this.pickMember(g);
          if (!member) throw gaveUp;
          await member.handler(batch);
        },
        {
          // Unbounded on purpose: at least once means the batch is retried until a handler takes it.
          maxAttempts: Number.POSITIVE_INFINITY,
          deadlineMillis: Number.POSITIVE_INFINITY,
          initialDelayMillis: this.options.redeliveryInitialDelayMillis,
          maxDelayMillis: this.options.redeliveryMaxDelayMillis,
          random: this.random,
          shouldRetry: (err) => err !== gaveUp && g.members.length > 0,
          sleep: (millis) => this.backoff(g, millis),
          onRetry: (err, attempt, delayMillis) => {
            this.counters.handlerErrors += 1;
            this.logger.warn(
              { topic, groupId: g.id, attempt, delayMillis, records: batch.length, err: errorText(err) },
              'in-process bus: handler failed, redelivering the batch',
            );
          },
        },
      );
      return true;
    } catch (err) {
      if (err !== gaveUp) {
        this.counters.handlerErrors += 1;
        this.logger.warn(
          { topic, groupId: g.id, records: batch.length, err: errorText(err) },
          'in-process bus: handler failed and its subscription closed; the batch stays for the next member',
        );
      }
      return false;
    }
  }

  private pickMember(g: Group): Member | undefined {
    const live = g.members.filter((m) => !m.closed);
    if (live.length === 0) return undefined;
    g.nextMember = (g.nextMember + 1) % live.length;
    return live[g.nextMember];
  }

  private backoff(g: Group, millis: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, millis);
      function done() {
        clearTimeout(timer);
        g.abortBackoff = undefined;
        resolve();
      }
      g.abortBackoff = done;
    });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
