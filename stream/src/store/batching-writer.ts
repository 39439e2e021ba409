import { isRetriable, RetryExhaustedError, type RetryOptions, retry } from '@bulwark/contracts';
import { StoreError } from '../errors.js';
import { errorMessage, type Logger, silentLogger } from '../logger.js';
import type { StreamMetrics } from '../worker/stream-metrics.js';
import type { WriteResult } from './event-store.js';
import { TABLES, type WritableTable } from './schema.js';
import { type Row, storeDeadLetterRow } from './store-rows.js';

export interface BatchingWriterOptions {
  /** Writes one batch; throws a `StoreError` (`retriable` when trying again may help). */
  insert: (table: WritableTable, rows: readonly Row[]) => Promise<void>;
  /** A batch is sent as soon as one table has this many rows. Default 1000. */
  maxBatchRows?: number;
  /** Rows wait at most this long before a flush. Default 1000 ms. */
  flushIntervalMillis?: number;
  /** Bound of the buffer (rows accepted but not yet written); writes beyond it push back. Default 100 000. */
  maxBufferedRows?: number;
  /** `forceFlush()` rejects after this long. Default 30 s. */
  forceFlushTimeoutMillis?: number;
  /** Retries of one batch insert (contracts `retry`). Default 5 attempts within 10 s. */
  retry?: Pick<
    RetryOptions,
    'maxAttempts' | 'initialDelayMillis' | 'maxDelayMillis' | 'deadlineMillis' | 'random'
  >;
  /** After a batch gave up, wait this long (doubling up to `maxOutageBackoffMillis`) before trying again. */
  outageBackoffMillis?: number;
  maxOutageBackoffMillis?: number;
  now?: () => number;
  logger?: Logger;
  metrics?: StreamMetrics;
}

interface Waiter {
  targets: Map<WritableTable, number>;
  resolve: () => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface BatchingWriterStats {
  bufferedRows: number;
  writtenRows: number;
  healthy: boolean;
  failedFlushes: number;
  lastError: string | undefined;
}

/**
 * The bounded buffer in front of ClickHouse shared by both stores: batches rows per table, flushes them by
 * size and by time, retries with backoff, and keeps every accepted row until it is written (or, when
 * ClickHouse refuses it permanently, kept as a dead letter). When the buffer is full, writes push back.
 *
 * @example
 * const w = new BatchingWriter({ insert: (table, rows) => driver.insert(table, rows) });
 * const res = w.add([['events', rows]]);
 * await w.forceFlush();
 */
export class BatchingWriter {
  private readonly insert: BatchingWriterOptions['insert'];
  private readonly maxBatchRows: number;
  private readonly flushIntervalMillis: number;
  private readonly maxBufferedRows: number;
  private readonly forceFlushTimeoutMillis: number;
  private readonly retryOptions: NonNullable<BatchingWriterOptions['retry']>;
  private readonly outageBackoffMillis: number;
  private readonly maxOutageBackoffMillis: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly metrics: StreamMetrics | undefined;

  private readonly queues = new Map<WritableTable, Row[]>();
  private readonly accepted = new Map<WritableTable, number>();
  private readonly written = new Map<WritableTable, number>();
  private waiters: Waiter[] = [];
  private buffered = 0;
  private writtenTotal = 0;
  private healthy = true;
  private consecutiveFailures = 0;
  private failedFlushes = 0;
  private lastError: string | undefined;
  private nextAttemptAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  private flushing: Promise<void> | undefined;
  private again: 'all' | 'full' | undefined;
  private closed = false;

  constructor(options: BatchingWriterOptions) {
    this.insert = options.insert;
    this.maxBatchRows = Math.max(1, options.maxBatchRows ?? 1000);
    this.flushIntervalMillis = Math.max(1, options.flushIntervalMillis ?? 1000);
    this.maxBufferedRows = Math.max(1, options.maxBufferedRows ?? 100_000);
    this.forceFlushTimeoutMillis = options.forceFlushTimeoutMillis ?? 30_000;
    this.retryOptions = {
      maxAttempts: 5,
      initialDelayMillis: 100,
      maxDelayMillis: 2_000,
      deadlineMillis: 10_000,
      ...options.retry,
    };
    this.outageBackoffMillis = options.outageBackoffMillis ?? 500;
    this.maxOutageBackoffMillis = options.maxOutageBackoffMillis ?? 10_000;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
    this.metrics = options.metrics;
  }

  /** Accepts every row of every table, or none (`backpressure`/`unavailable`/`closed`). */
  add(entries: ReadonlyArray<readonly [WritableTable, readonly Row[]]>): WriteResult {
    const count = entries.reduce((n, [, rows]) => n + rows.length, 0);
    if (this.closed)
      return { ok: false, reason: 'closed', retryAfterMillis: 0, message: 'the event store is shut down' };
    if (count === 0) return { ok: true, count: 0 };
    // An empty buffer takes any batch, so one oversized write cannot wait forever.
    if (this.buffered > 0 && this.buffered + count > this.maxBufferedRows) {
      this.metrics?.inc('store_rows_rejected_total', {}, count);
      if (!this.healthy) {
        return {
          ok: false,
          reason: 'unavailable',
          retryAfterMillis: Math.max(100, this.nextAttemptAt - this.now()),
          message: `ClickHouse is failing (${this.lastError ?? 'unknown error'}) and ${this.buffered} rows are buffered`,
        };
      }
      return {
        ok: false,
        reason: 'backpressure',
        retryAfterMillis: this.flushIntervalMillis,
        message: `event store buffer is full (${this.buffered}/${this.maxBufferedRows} rows)`,
      };
    }
    let full = false;
    for (const [table, rows] of entries) {
      if (rows.length === 0) continue;
      let q = this.queues.get(table);
      if (!q) {
        q = [];
        this.queues.set(table, q);
      }
      for (const r of rows) q.push(r);
      this.accepted.set(table, (this.accepted.get(table) ?? 0) + rows.length);
      if (q.length >= this.maxBatchRows) full = true;
    }
    this.buffered += count;
    this.metrics?.inc('store_rows_accepted_total', {}, count);
    if (full) this.kick(false);
    else this.schedule(this.flushIntervalMillis);
    return { ok: true, count };
  }

  /** Resolves when every row accepted before the call is written; rejects (retriable) after the timeout. */
  forceFlush(timeoutMillis = this.forceFlushTimeoutMillis): Promise<void> {
    return this.waitWritten(timeoutMillis, () => this.kick(true));
  }

  /**
   * Group commit: resolves, like `forceFlush`, when every row accepted before the call is written, but does not
   * flush at once. The rows go out with the next size-triggered batch, or at the latest `lingerMillis` from
   * now, together with whatever other callers add meanwhile. A consumer that commits its offsets after this
   * gets the same at-least-once guarantee as after `forceFlush`, with inserts of thousands of rows instead of
   * one per delivery (chdb costs ~300 µs a row at 90 rows, ~25 µs at 5,000).
   */
  whenWritten(lingerMillis: number, timeoutMillis = this.forceFlushTimeoutMillis): Promise<void> {
    return this.waitWritten(timeoutMillis, () => this.scheduleWithin(lingerMillis));
  }

  private waitWritten(timeoutMillis: number, start: () => void): Promise<void> {
    const targets = new Map<WritableTable, number>();
    for (const [table, n] of this.accepted) if ((this.written.get(table) ?? 0) < n) targets.set(table, n);
    if (targets.size === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        targets,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new StoreError(
              'flush_timeout',
              `could not write ${this.buffered} buffered rows within ${timeoutMillis} ms (${this.lastError ?? 'still writing'}); they stay buffered`,
              { retriable: true },
            ),
          );
        }, timeoutMillis),
      };
      this.waiters.push(waiter);
      start();
    });
  }

  /** Flushes what was accepted, then stops. Rejects when rows could not be written within the timeout. */
  async shutdown(timeoutMillis = this.forceFlushTimeoutMillis): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.forceFlush(timeoutMillis);
    } finally {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  stats(): BatchingWriterStats {
    return {
      bufferedRows: this.buffered,
      writtenRows: this.writtenTotal,
      healthy: this.healthy,
      failedFlushes: this.failedFlushes,
      lastError: this.lastError,
    };
  }

  private schedule(delayMillis: number): void {
    if (this.timer) return;
    this.timerDueAt = this.now() + delayMillis;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick(true);
    }, delayMillis);
    this.timer.unref();
  }

  /** Makes the timed flush happen within `delayMillis` (sooner than the interval when a caller waits on it). */
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

  /**
   * Starts a flush unless one runs (then it runs again). `all`: everything buffered (timer, forceFlush);
   * otherwise only full batches (size trigger), the rest waits for the timer. During an outage it waits
   * for the backoff.
   */
  private kick(all: boolean): void {
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
      if (again && this.buffered > 0) this.kick(again === 'all');
      else if (this.buffered > 0) this.schedule(this.flushIntervalMillis);
    });
  }

  /** Writes what is buffered (all, or full batches only), one batch per table in turn so none starves. */
  private async drain(all: boolean): Promise<void> {
    for (;;) {
      const min = all ? 1 : this.maxBatchRows;
      const tables = [...this.queues].filter(([, q]) => q.length >= min).map(([t]) => t);
      if (tables.length === 0) return;
      for (const table of tables) {
        const queue = this.queues.get(table)!;
        const batch = queue.slice(0, this.maxBatchRows);
        const done = await this.writeRows(table, batch);
        if (done > 0) {
          queue.splice(0, done);
          this.buffered -= done;
          this.written.set(table, (this.written.get(table) ?? 0) + done);
          this.settleWaiters();
        }
        if (done < batch.length) {
          this.onOutage(table);
          return;
        }
        if (!this.healthy) this.log.info({ bufferedRows: this.buffered }, 'event store writes recovered');
        this.healthy = true;
        this.consecutiveFailures = 0;
      }
    }
  }

  private onOutage(table: WritableTable): void {
    this.healthy = false;
    this.consecutiveFailures += 1;
    this.failedFlushes += 1;
    this.metrics?.inc('store_flush_failures_total', { table });
    const delay = Math.min(
      this.maxOutageBackoffMillis,
      this.outageBackoffMillis * 2 ** Math.min(10, this.consecutiveFailures - 1),
    );
    this.nextAttemptAt = this.now() + delay;
    this.log.warn(
      { table, bufferedRows: this.buffered, retryInMillis: delay, err: this.lastError },
      'event store flush failed; rows kept, retrying',
    );
    this.schedule(delay);
  }

  /** Writes rows; returns how many leading rows are done (written, or kept as a dead letter). */
  private async writeRows(table: WritableTable, rows: readonly Row[]): Promise<number> {
    try {
      await retry(() => this.insert(table, rows), {
        ...this.retryOptions,
        onRetry: (err, attempt, delayMillis) =>
          this.log.debug({ table, attempt, delayMillis, err: errorMessage(err) }, 'retrying batch insert'),
      });
      this.writtenTotal += rows.length;
      this.metrics?.inc('store_rows_written_total', { table }, rows.length);
      return rows.length;
    } catch (err) {
      this.lastError = errorMessage(err instanceof RetryExhaustedError ? err.cause : err);
      if (err instanceof RetryExhaustedError || isRetriable(err)) return 0;
      // Refused for good (bad data): find the offending rows by halving, keep them as dead letters.
      if (rows.length > 1) {
        const half = Math.ceil(rows.length / 2);
        const first = await this.writeRows(table, rows.slice(0, half));
        if (first < half) return first;
        return half + (await this.writeRows(table, rows.slice(half)));
      }
      return this.deadLetter(table, rows, this.lastError);
    }
  }

  private async deadLetter(table: WritableTable, rows: readonly Row[], reason: string): Promise<number> {
    if (table === TABLES.deadLetters) {
      // A dead letter ClickHouse refuses cannot be kept anywhere else. Its ids are logged, not its payload
      // (prompt text, tool results): the loss is visible in the log and the metric.
      const ids = rows.map((r) => String(r.dead_letter_id ?? ''));
      this.log.error({ table, ids, reason }, 'ClickHouse refused a dead letter; it was dropped');
      this.metrics?.inc('store_rows_dead_lettered_total', { table, outcome: 'dropped' }, rows.length);
      return rows.length;
    }
    try {
      await retry(
        () => this.insert(TABLES.deadLetters, [storeDeadLetterRow(table, rows, reason, this.now())]),
        {
          ...this.retryOptions,
        },
      );
      this.log.error({ table, count: rows.length, reason }, 'ClickHouse refused rows; kept in dead_letters');
      this.metrics?.inc('store_rows_dead_lettered_total', { table, outcome: 'stored' }, rows.length);
      return rows.length;
    } catch (err) {
      this.lastError = errorMessage(err);
      return 0;
    }
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      let done = true;
      for (const [table, n] of w.targets) if ((this.written.get(table) ?? 0) < n) done = false;
      if (done) {
        clearTimeout(w.timer);
        w.resolve();
      } else still.push(w);
    }
    this.waiters = still;
  }
}
