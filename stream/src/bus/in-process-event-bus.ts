import {
  BUS_TOPICS,
  type BusRecord,
  type BusSubscription,
  type BusTopic,
  type EventBus,
  type PublishResult,
  retry,
  type SubscribeOptions,
} from '@bulwark/contracts';
import { EventBusError, StreamConfigError } from '../errors.js';
import { BusWal, type BusWalOptions, type BusWalRecovery, type BusWalStats } from './bus-wal.js';

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
  /**
   * Write-ahead log directory. When set, `publish` resolves only once its records are fdatasync'ed there
   * (group-committed), records still unhandled by some consumer group are replayed at the next start, and a
   * write error answers `unavailable`. Unset: records live in memory only (lost if the process dies).
   */
  walDir?: string;
  /** Tuning of the write-ahead log (see `BusWalOptions`); used only with `walDir`. */
  wal?: Omit<BusWalOptions, 'dir'> & {
    /** How often the handled position is recorded and old segments deleted. Default 1 s. */
    checkpointIntervalMillis?: number;
  };
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
  /** Publishes refused because the write-ahead log could not write (disk full, I/O error), in records. */
  walRefused: number;
  /** The write-ahead log's counters, when there is one. */
  wal?: BusWalStats;
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

interface LogRecord {
  key: string;
  value: unknown;
  /** Sequence in the write-ahead log (set when there is one). */
  seq?: number;
}

interface TopicLog {
  records: LogRecord[];
  /** Offset of `records[0]`. */
  base: number;
  groups: Map<string, Group>;
  /** Records accepted but not yet durable (being written to the WAL): counted against the bound. */
  reserved: number;
}

const DEFAULTS = {
  maxBufferedRecords: 10_000,
  maxBatchRecords: 5_000,
  redeliveryInitialDelayMillis: 50,
  redeliveryMaxDelayMillis: 2_000,
  retryAfterMillis: 200,
  flushTimeoutMillis: 10_000,
};

/** Retry-After suggested when the write-ahead log cannot write; also how long publishes are refused after. */
const WAL_RETRY_AFTER_MILLIS = 1_000;
const WAL_CHECKPOINT_INTERVAL_MILLIS = 1_000;

/**
 * The default `EventBus`: bounded, in one process. Each topic keeps a log of at most `maxBufferedRecords`;
 * each consumer group has a cursor and gets every record in publish order, one batch at a time (members of
 * a group take turns, so per-key order holds). A handler that throws gets the same batch again after a
 * jittered backoff, until it succeeds or its subscription closes: at least once. A full log answers
 * `{ ok: false, reason: 'backpressure' }` rather than growing. Records nobody is subscribed to are kept
 * (the newest `maxBufferedRecords`) for a later `fromBeginning` subscriber, then evicted and counted.
 * Values are passed by reference: handlers must not mutate them. With `walDir`, `publish` answers only once
 * the records are durable on disk and a restart replays what no consumer group had handled yet (values are
 * then copies read back as JSON): at least once across crashes too.
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
  private readonly counters = {
    published: 0,
    delivered: 0,
    handlerErrors: 0,
    evicted: 0,
    backpressured: 0,
    walRefused: 0,
  };
  private readonly wal: BusWal | undefined;
  /** What opening the write-ahead log found (replayed records, torn frames), when there is one. */
  readonly walRecovery: (Omit<BusWalRecovery, 'records'> & { replayed: number }) | undefined;
  private readonly checkpointTimer: NodeJS.Timeout | undefined;
  private checkpointRunning = false;

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
    if (options.walDir !== undefined) {
      const interval = options.wal?.checkpointIntervalMillis ?? WAL_CHECKPOINT_INTERVAL_MILLIS;
      if (!Number.isFinite(interval) || interval < 1)
        throw new StreamConfigError('InProcessEventBus', [
          `wal.checkpointIntervalMillis: must be a number >= 1, got ${interval}`,
        ]);
      const { checkpointIntervalMillis: _, ...walOptions } = options.wal ?? {};
      const { wal, recovery } = BusWal.open({ ...walOptions, dir: options.walDir });
      this.wal = wal;
      // Replayed before anyone subscribes: every group starting from the beginning gets them first.
      for (const r of recovery.records)
        this.log(r.topic).records.push({ key: r.key, value: r.value, seq: r.seq });
      const { records, ...rest } = recovery;
      this.walRecovery = { ...rest, replayed: records.length };
      if (records.length > 0 || recovery.tornRecords > 0)
        this.logger.warn(
          { dir: options.walDir, ...this.walRecovery },
          'in-process bus: replaying records the last run had accepted but not handled',
        );
      this.checkpointTimer = setInterval(() => void this.checkpoint(), interval);
      this.checkpointTimer.unref();
    }
  }

  async publish<T>(topic: BusTopic, records: readonly BusRecord<T>[]): Promise<PublishResult> {
    if (this.closed) {
      return { ok: false, reason: 'closed', retryAfterMillis: 0, message: 'event bus is shut down' };
    }
    if (records.length === 0) return { ok: true, count: 0 };
    const wal = this.wal;
    if (wal && !wal.isWritable(Date.now(), WAL_RETRY_AFTER_MILLIS)) {
      this.counters.walRefused += records.length;
      return {
        ok: false,
        reason: 'unavailable',
        retryAfterMillis: WAL_RETRY_AFTER_MILLIS,
        message: 'the event bus write-ahead log failed its last write (disk full or I/O error)',
      };
    }
    const log = this.log(topic);
    const end = log.base + log.records.length;
    const oldestNeeded = this.oldestNeeded(log);
    const pending = (oldestNeeded === undefined ? 0 : end - oldestNeeded) + log.reserved;
    if (pending + records.length > this.options.maxBufferedRecords) {
      this.counters.backpressured += records.length;
      return {
        ok: false,
        reason: 'backpressure',
        retryAfterMillis: this.options.retryAfterMillis,
        message: `topic ${topic} holds ${pending} unhandled record(s); ${records.length} more would exceed maxBufferedRecords=${this.options.maxBufferedRecords}`,
      };
    }
    if (wal) {
      log.reserved += records.length;
      const res = await wal.append(topic, records, (firstSeq) => {
        // Called in append order, once durable: visible to consumers only from here on.
        log.reserved -= records.length;
        this.accept(log, records, firstSeq);
      });
      if (!res.ok) {
        log.reserved -= records.length;
        this.counters.walRefused += records.length;
        this.logger.error(
          { topic, records: records.length, err: res.message },
          'in-process bus: WAL write failed',
        );
        return {
          ok: false,
          reason: 'unavailable',
          retryAfterMillis: WAL_RETRY_AFTER_MILLIS,
          message: `${res.message}; the records were not accepted`,
        };
      }
      return { ok: true, count: records.length };
    }
    this.accept(log, records);
    return { ok: true, count: records.length };
  }

  /** Appends accepted records to the topic's log and wakes its groups. */
  private accept(log: TopicLog, records: readonly BusRecord<unknown>[], firstSeq?: number): void {
    for (let i = 0; i < records.length; i += 1) {
      const r = records[i]!;
      log.records.push(
        firstSeq === undefined
          ? { key: r.key, value: r.value }
          : { key: r.key, value: r.value, seq: firstSeq + i },
      );
    }
    this.counters.published += records.length;
    // Evict only what no active group still needs (guaranteed by the check above).
    const excess = log.records.length - this.options.maxBufferedRecords;
    if (excess > 0) {
      log.records.splice(0, excess);
      log.base += excess;
      this.counters.evicted += excess;
    }
    for (const g of log.groups.values()) g.wake?.();
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
    // Appends already accepted finish (and become visible) before the drain.
    await this.wal?.drain();
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
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    // The final checkpoint marks everything handled, so a clean restart replays nothing.
    if (this.wal) await this.wal.close(this.walPositions(this.wal));
  }

  /**
   * Records durably how far every consumer group got and deletes WAL segments nobody needs any more. Runs on
   * a timer; callable directly (tests, before a planned stop).
   */
  async checkpoint(): Promise<void> {
    const wal = this.wal;
    if (!wal || this.checkpointRunning) return;
    this.checkpointRunning = true;
    try {
      await wal.checkpoint(this.walPositions(wal));
    } catch (err) {
      this.logger.warn(
        { err: errorText(err) },
        'in-process bus: WAL checkpoint failed; retrying at the next one',
      );
    } finally {
      this.checkpointRunning = false;
    }
  }

  /**
   * Per topic, the lowest WAL sequence some group still needs: the record at the slowest group's cursor (a
   * group's cursor moves only after its handler resolved, i.e. committed), the oldest retained record when no
   * group has subscribed yet, else the first sequence not yet durable.
   */
  private walPositions(wal: BusWal): Record<BusTopic, number> {
    const floor = wal.oldestNotDurable();
    const out = {} as Record<BusTopic, number>;
    for (const topic of BUS_TOPICS) {
      let need = floor;
      const log = this.topics.get(topic);
      if (log) {
        let idx = log.groups.size === 0 ? log.base : Number.POSITIVE_INFINITY;
        for (const g of log.groups.values()) idx = Math.min(idx, Math.max(g.cursor, log.base));
        const rec = log.records[idx - log.base];
        if (rec?.seq !== undefined && rec.seq < need) need = rec.seq;
      }
      out[topic] = need;
    }
    return out;
  }

  /** Counters and backlog, for metrics. */
  stats(): InProcessEventBusStats {
    const pending = {} as Record<BusTopic, number>;
    for (const [topic, log] of this.topics) {
      const oldest = this.oldestNeeded(log);
      pending[topic] = oldest === undefined ? 0 : log.base + log.records.length - oldest;
    }
    return { ...this.counters, pending, ...(this.wal ? { wal: this.wal.stats() } : {}) };
  }

  private log(topic: BusTopic): TopicLog {
    let log = this.topics.get(topic);
    if (!log) {
      log = { records: [], base: 0, groups: new Map(), reserved: 0 };
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
      n += log.reserved;
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
