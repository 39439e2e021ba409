import type { AgentEvent, Alert, Finding } from '@bulwark/contracts';
import type { StreamMetrics } from '../worker/stream-metrics.js';
import { BatchingWriter, type BatchingWriterOptions, type BatchingWriterStats } from './batching-writer.js';
import type { QueryResult, WriteResult } from './event-store.js';
import { checkParams } from './queries.js';
import { TABLES } from './schema.js';
import type { DeadLetter, VerdictRecord } from './store-records.js';
import {
  alertRow,
  deadLetterRow,
  eventRow,
  findingRow,
  type Row,
  toolCallRow,
  verdictRow,
} from './store-rows.js';

/**
 * The write half every event store shares, whatever holds the rows (a SQL engine, memory): records become
 * rows (`store-rows.ts`) and go through one `BatchingWriter`, so batching, backpressure, group commit and the
 * shutdown flush are the same everywhere. Subclasses add `query`, readiness and `shutdown`.
 *
 * @example
 * class MyStore extends BufferedEventStore { constructor() { super({ insert: (table, rows) => db.put(table, rows) }); } }
 */
export abstract class BufferedEventStore {
  protected readonly writer: BatchingWriter;
  protected readonly now: () => number;
  private readonly metrics: StreamMetrics | undefined;
  /** Set by the subclass's `shutdown`: later writes (the writer) and queries (`refuseQuery`) answer `closed`. */
  protected closed = false;

  protected constructor(options: BatchingWriterOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = options.metrics;
    this.writer = new BatchingWriter({ ...options, now: this.now });
  }

  appendEvents(events: readonly AgentEvent[]): WriteResult {
    const storedAt = this.now();
    const rows: Row[] = [];
    const calls: Row[] = [];
    let skewed = 0;
    for (const e of events) {
      const row = eventRow(e, storedAt);
      // Events the collector stamped were counted there; these came another way.
      if (e.receivedAtMillis === undefined && row.clock_skew === 1) skewed += 1;
      rows.push(row);
      const call = toolCallRow(e, storedAt);
      if (call) calls.push(call);
    }
    const res = this.writer.add([
      [TABLES.events, rows],
      [TABLES.toolCalls, calls],
    ]);
    if (res.ok && skewed > 0) this.metrics?.inc('store_events_clock_skew_total', {}, skewed);
    return res;
  }

  insertVerdicts(records: readonly VerdictRecord[]): WriteResult {
    const storedAt = this.now();
    return this.writer.add([[TABLES.verdicts, records.map((r) => verdictRow(r, storedAt))]]);
  }

  insertFindings(findings: readonly Finding[]): WriteResult {
    const storedAt = this.now();
    return this.writer.add([[TABLES.findings, findings.map((f) => findingRow(f, storedAt))]]);
  }

  insertAlerts(alerts: readonly Alert[]): WriteResult {
    const storedAt = this.now();
    return this.writer.add([[TABLES.alerts, alerts.map((a) => alertRow(a, storedAt))]]);
  }

  insertDeadLetters(letters: readonly DeadLetter[]): WriteResult {
    const storedAt = this.now();
    return this.writer.add([[TABLES.deadLetters, letters.map((d) => deadLetterRow(d, storedAt))]]);
  }

  /** False while the backend is failing or after shutdown. */
  isReady(): boolean {
    return !this.closed && this.writer.isHealthy();
  }

  /** The answer to a query that cannot run (shut down, or parameters that do not fit it); else undefined. */
  protected refuseQuery(
    q: { readonly name: string; readonly sql: string },
    params: Record<string, unknown>,
  ): QueryResult<never> | undefined {
    if (this.closed)
      return { ok: false, reason: 'closed', retryAfterMillis: 0, message: 'the event store is shut down' };
    const problems = checkParams(q.sql, params);
    if (problems.length === 0) return undefined;
    return {
      ok: false,
      reason: 'invalid',
      retryAfterMillis: 0,
      message: `${q.name}: ${problems.join('; ')}`,
    };
  }

  /** Buffer and health numbers, for tests and `/readyz` details. */
  stats(): BatchingWriterStats {
    return this.writer.stats();
  }

  forceFlush(): Promise<void> {
    return this.writer.forceFlush();
  }

  whenDurable(lingerMillis: number): Promise<void> {
    return this.writer.whenWritten(lingerMillis);
  }
}
