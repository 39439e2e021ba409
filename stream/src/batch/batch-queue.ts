import { isRetriable, RetryExhaustedError, type RetryOptions, retry } from '@bulwark/contracts';

/** How far each lane had been accepted when a mark was taken; `settled` waits until each is sent. */
export type BatchMark = ReadonlyMap<string, number>;

/** Outcome of `add`, as a value: every item accepted, or none (`full` names the bound that refused). */
export type BatchQueueAddResult =
  | { ok: true; count: number; mark: BatchMark }
  | { ok: false; reason: 'closed' }
  | { ok: false; reason: 'full'; bound: 'items' | 'bytes' };

export interface BatchQueueOptions<T> {
  /** Sends one batch of one lane; resolves once it is durable. Throws to have it retried (see `retry`). */
  send: (lane: string, batch: readonly T[]) => Promise<void>;
  /**
   * After `send` gave up (retries exhausted, or an error `retry.shouldRetry` refuses): how many leading items
   * of the batch are settled anyway (e.g. kept as dead letters). Default 0: the batch stays at the head of its
   * lane and the queue backs off (`outageBackoffMillis`) before trying again, so nothing accepted is dropped.
   */
  rescue?: (lane: string, batch: readonly T[], err: unknown) => Promise<number>;
  /** Items of one lane leave in order, one batch at a time; lanes take turns. Default: one lane. */
  laneOf?: (item: T) => string;
  /** Bytes of one item, for the byte bounds. Default 0 (only item counts bound). */
  sizeOf?: (item: T) => number;
  /** A batch is sent as soon as one lane has this many items. Default 1000. */
  maxBatchItems?: number;
  /** Bytes in one batch (a single larger item still goes alone). Default unbounded. */
  maxBatchBytes?: number;
  /** Items wait at most this long for more before a partial batch is sent; 0 sends at once. Default 1000 ms. */
  lingerMillis?: number;
  /** Bound of the buffer (accepted, not yet sent); `add` beyond it answers `full`. Default 100 000. */
  maxBufferedItems?: number;
  /** Same bound in bytes. Default unbounded. */
  maxBufferedBytes?: number;
  /** Whether an empty buffer takes one add larger than the bounds (so it cannot wait forever). Default true. */
  admitOversizedWhenEmpty?: boolean;
  /** Retries of one batch, by the contracts `retry` (full jitter, deadline). Default 5 attempts within 10 s. */
  retry?: Omit<RetryOptions, 'onRetry' | 'signal'>;
  /** After a batch gave up, wait this long (doubling up to `maxOutageBackoffMillis`) before trying again. */
  outageBackoffMillis?: number;
  maxOutageBackoffMillis?: number;
  /** False holds sending (e.g. no producer yet); call `kick()` when it turns true. Default always true. */
  canSend?: () => boolean;
  onRetry?: (lane: string, err: unknown, attempt: number, delayMillis: number) => void;
  /** A batch gave up; `retryInMillis` is the backoff before the next attempt. */
  onOutage?: (info: { lane: string; err: unknown; retryInMillis: number; buffered: number }) => void;
  /** The first batch after an outage went through. */
  onRecovered?: (info: { buffered: number }) => void;
  now?: () => number;
}

/** Counters of one queue. */
export interface BatchQueueStats {
  accepted: number;
  /** Items sent (or settled by `rescue`). */
  sent: number;
  buffered: number;
  bufferedBytes: number;
  healthy: boolean;
  /** Batches that gave up after their retries. */
  failedBatches: number;
  /** Items abandoned by `abandon()` (shutdown gave up on an unreachable backend). */
  lost: number;
  lastError: string | undefined;
  /** When the next attempt after an outage is due (epoch ms; 0 when healthy). */
  nextAttemptAt: number;
}

/** Retries of one batch unless configured: 5 attempts, 100 ms to 2 s apart (full jitter), within 10 s. */
export const BATCH_RETRY_DEFAULTS = {
  maxAttempts: 5,
  initialDelayMillis: 100,
  maxDelayMillis: 2_000,
  deadlineMillis: 10_000,
} as const satisfies RetryOptions;

interface Entry<T> {
  item: T;
  bytes: number;
}

interface Waiter {
  mark: BatchMark;
  resolve: (sent: boolean) => void;
  timer: NodeJS.Timeout | undefined;
}

function describeError(err: unknown): string {
  const e = err instanceof RetryExhaustedError ? err.cause : err;
  return e instanceof Error ? e.message : String(e);
}

/**
 * The one batching producer of the stream package, under both the Kafka producer and the event store
 * writer: a bounded buffer (items and bytes) split into ordered lanes, flushed by size and by time, one
 * batch in flight at a time, each batch retried (contracts `retry`) and, when it gives up, kept at the head
 * of its lane through an outage with backoff. Callers learn durability from `settled(mark)` (acknowledge
 * only after it resolves true): at least once, never an acknowledgement before the backend took the items.
 *
 * @example
 * const q = new BatchQueue<Row>({ send: (table, rows) => driver.insert(table, rows), laneOf: (r) => r.table });
 * const res = q.add(rows);
 * if (res.ok && (await q.settled(res.mark, 5_000))) ack();
 * await q.close(30_000); // flushes what was accepted
 */
export class BatchQueue<T> {
  private readonly o: Required<
    Pick<
      BatchQueueOptions<T>,
      | 'maxBatchItems'
      | 'maxBatchBytes'
      | 'lingerMillis'
      | 'maxBufferedItems'
      | 'maxBufferedBytes'
      | 'admitOversizedWhenEmpty'
      | 'outageBackoffMillis'
      | 'maxOutageBackoffMillis'
    >
  >;
  private readonly retryOptions: NonNullable<BatchQueueOptions<T>['retry']>;
  private readonly now: () => number;
  private readonly lanes = new Map<string, Entry<T>[]>();
  private readonly acceptedPerLane = new Map<string, number>();
  private readonly sentPerLane = new Map<string, number>();
  private waiters: Waiter[] = [];
  private buffered = 0;
  private bufferedBytes = 0;
  private accepted = 0;
  private sent = 0;
  private lost = 0;
  private healthy = true;
  private consecutiveFailures = 0;
  private failedBatches = 0;
  private lastError: string | undefined;
  private nextAttemptAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  private flushing: Promise<void> | undefined;
  private again: 'all' | 'full' | undefined;
  private closed = false;
  private abandoned = false;

  constructor(private readonly options: BatchQueueOptions<T>) {
    this.o = {
      maxBatchItems: Math.max(1, options.maxBatchItems ?? 1000),
      maxBatchBytes: Math.max(1, options.maxBatchBytes ?? Number.POSITIVE_INFINITY),
      lingerMillis: Math.max(0, options.lingerMillis ?? 1000),
      maxBufferedItems: Math.max(1, options.maxBufferedItems ?? 100_000),
      maxBufferedBytes: Math.max(1, options.maxBufferedBytes ?? Number.POSITIVE_INFINITY),
      admitOversizedWhenEmpty: options.admitOversizedWhenEmpty ?? true,
      outageBackoffMillis: options.outageBackoffMillis ?? 500,
      maxOutageBackoffMillis: options.maxOutageBackoffMillis ?? 10_000,
    };
    this.retryOptions = { ...BATCH_RETRY_DEFAULTS, ...options.retry };
    this.now = options.now ?? Date.now;
  }

  /** Accepts every item, or none. A full lane batch starts a send; otherwise the linger timer does. */
  add(items: readonly T[]): BatchQueueAddResult {
    if (this.closed) return { ok: false, reason: 'closed' };
    if (items.length === 0) return { ok: true, count: 0, mark: this.mark() };
    const entries = items.map((item) => ({ item, bytes: this.options.sizeOf?.(item) ?? 0 }));
    const bytes = entries.reduce((n, e) => n + e.bytes, 0);
    if (!(this.o.admitOversizedWhenEmpty && this.buffered === 0)) {
      if (this.buffered + items.length > this.o.maxBufferedItems)
        return { ok: false, reason: 'full', bound: 'items' };
      if (this.bufferedBytes + bytes > this.o.maxBufferedBytes)
        return { ok: false, reason: 'full', bound: 'bytes' };
    }
    let full = false;
    for (const e of entries) {
      const lane = this.options.laneOf?.(e.item) ?? '';
      let q = this.lanes.get(lane);
      if (!q) {
        q = [];
        this.lanes.set(lane, q);
      }
      q.push(e);
      this.acceptedPerLane.set(lane, (this.acceptedPerLane.get(lane) ?? 0) + 1);
      if (q.length >= this.o.maxBatchItems) full = true;
    }
    this.buffered += items.length;
    this.bufferedBytes += bytes;
    this.accepted += items.length;
    if (this.o.lingerMillis === 0) this.kick(true);
    else if (full) this.kick(false);
    else this.schedule(this.o.lingerMillis);
    return { ok: true, count: items.length, mark: this.mark() };
  }

  /** Everything accepted so far, per lane: hand it to `settled` to wait for all of it. */
  mark(): BatchMark {
    const mark = new Map<string, number>();
    for (const [lane, n] of this.acceptedPerLane)
      if ((this.sentPerLane.get(lane) ?? 0) < n) mark.set(lane, n);
    return mark;
  }

  /**
   * True once every item up to `mark` is sent; false after `timeoutMillis` (the items stay buffered) or when
   * the queue was abandoned. With `lingerMillis` the wait joins the next batch (group commit: sent when a batch
   * fills or at the latest `lingerMillis` from now); without, it flushes at once.
   */
  settled(mark: BatchMark, timeoutMillis: number, lingerMillis?: number): Promise<boolean> {
    if (this.isSettled(mark)) return Promise.resolve(true);
    if (this.abandoned) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { mark, resolve, timer: undefined };
      if (Number.isFinite(timeoutMillis)) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMillis);
      }
      this.waiters.push(waiter);
      if (lingerMillis === undefined) this.kick(true);
      else this.scheduleWithin(lingerMillis);
    });
  }

  /** `settled` for everything accepted so far. */
  flush(timeoutMillis = Number.POSITIVE_INFINITY, lingerMillis?: number): Promise<boolean> {
    return this.settled(this.mark(), timeoutMillis, lingerMillis);
  }

  /** Starts sending now if it was held (`canSend` turned true) or is due. */
  kick(all = true): void {
    if (this.abandoned || this.buffered === 0) return;
    if (this.options.canSend && !this.options.canSend()) return;
    if (!this.healthy && this.now() < this.nextAttemptAt) {
      this.schedule(this.nextAttemptAt - this.now());
      return;
    }
    if (this.flushing) {
      this.again = this.again === 'all' || all ? 'all' : 'full';
      return;
    }
    this.flushing = this.drain(all).finally(() => {
      this.flushing = undefined;
      const again = this.again;
      this.again = undefined;
      if (this.abandoned || this.buffered === 0) return;
      if (again) this.kick(again === 'all');
      else this.schedule(this.o.lingerMillis);
    });
  }

  /** Stops accepting, then flushes; true when everything accepted was sent within the timeout. */
  async close(timeoutMillis = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.closed = true;
    const sent = await this.flush(timeoutMillis);
    if (sent && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return sent;
  }

  /**
   * Gives up on what is buffered (shutdown with the backend still down): stops sending, counts the items as
   * `lost`, releases every waiter with false. The caller logs the loss. Idempotent.
   */
  async abandon(): Promise<number> {
    if (this.abandoned) return 0;
    this.closed = true;
    this.abandoned = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing?.catch(() => {});
    const lost = this.buffered;
    this.lost += lost;
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(this.isSettled(w.mark));
    }
    return lost;
  }

  isClosed(): boolean {
    return this.closed;
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  stats(): BatchQueueStats {
    return {
      accepted: this.accepted,
      sent: this.sent,
      buffered: this.buffered,
      bufferedBytes: this.bufferedBytes,
      healthy: this.healthy,
      failedBatches: this.failedBatches,
      lost: this.lost,
      lastError: this.lastError,
      nextAttemptAt: this.healthy ? 0 : this.nextAttemptAt,
    };
  }

  private isSettled(mark: BatchMark): boolean {
    for (const [lane, n] of mark) if ((this.sentPerLane.get(lane) ?? 0) < n) return false;
    return true;
  }

  private schedule(delayMillis: number): void {
    if (this.timer || this.abandoned) return;
    this.timerDueAt = this.now() + delayMillis;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick(true);
    }, delayMillis);
    // A pending flush alone must not keep the process up; `close()` is what flushes at exit.
    this.timer.unref();
  }

  /** Makes the timed flush happen within `delayMillis` (sooner than the linger when a caller waits on it). */
  private scheduleWithin(delayMillis: number): void {
    if (this.timer && this.timerDueAt <= this.now() + delayMillis) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) {
      // The running flush starts another when it ends; make that one take everything.
      this.again = 'all';
      return;
    }
    this.schedule(delayMillis);
  }

  /** Sends what is buffered (all, or full batches only), one batch per lane in turn so none starves. */
  private async drain(all: boolean): Promise<void> {
    for (;;) {
      if (this.abandoned) return;
      const min = all ? 1 : this.o.maxBatchItems;
      const lanes = [...this.lanes].filter(([, q]) => q.length >= min).map(([lane]) => lane);
      if (lanes.length === 0) return;
      for (const lane of lanes) {
        const queue = this.lanes.get(lane)!;
        const batch = this.nextBatch(queue);
        const done = await this.sendBatch(lane, batch);
        if (done > 0) {
          const bytes = batch.slice(0, done).reduce((n, e) => n + e.bytes, 0);
          queue.splice(0, done);
          this.buffered -= done;
          this.bufferedBytes -= bytes;
          this.sent += done;
          this.sentPerLane.set(lane, (this.sentPerLane.get(lane) ?? 0) + done);
          this.settleWaiters();
        }
        if (done < batch.length) {
          this.onOutage(lane);
          return;
        }
        if (!this.healthy) this.options.onRecovered?.({ buffered: this.buffered });
        this.healthy = true;
        this.consecutiveFailures = 0;
      }
    }
  }

  private nextBatch(queue: readonly Entry<T>[]): Entry<T>[] {
    let n = 0;
    let bytes = 0;
    while (n < queue.length && n < this.o.maxBatchItems) {
      const size = queue[n]!.bytes;
      if (n > 0 && bytes + size > this.o.maxBatchBytes) break;
      bytes += size;
      n += 1;
    }
    return queue.slice(0, n);
  }

  /** Returns how many leading entries are settled. */
  private async sendBatch(lane: string, entries: readonly Entry<T>[]): Promise<number> {
    const batch = entries.map((e) => e.item);
    const shouldRetry = this.retryOptions.shouldRetry ?? ((err: unknown) => isRetriable(err));
    try {
      await retry(() => this.options.send(lane, batch), {
        ...this.retryOptions,
        shouldRetry: (err, attempt) => !this.abandoned && shouldRetry(err, attempt),
        onRetry: (err, attempt, delayMillis) => this.options.onRetry?.(lane, err, attempt, delayMillis),
      });
      return batch.length;
    } catch (err) {
      this.lastError = describeError(err);
      if (this.abandoned || !this.options.rescue) return 0;
      try {
        return Math.max(0, Math.min(batch.length, await this.options.rescue(lane, batch, err)));
      } catch (rescueErr) {
        this.lastError = describeError(rescueErr);
        return 0;
      }
    }
  }

  private onOutage(lane: string): void {
    this.healthy = false;
    this.consecutiveFailures += 1;
    this.failedBatches += 1;
    const delay = Math.min(
      this.o.maxOutageBackoffMillis,
      this.o.outageBackoffMillis * 2 ** Math.min(10, this.consecutiveFailures - 1),
    );
    this.nextAttemptAt = this.now() + delay;
    this.options.onOutage?.({ lane, err: this.lastError, retryInMillis: delay, buffered: this.buffered });
    this.schedule(delay);
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.isSettled(w.mark)) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.waiters = still;
  }
}
