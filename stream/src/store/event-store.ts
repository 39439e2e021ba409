import type { AgentEvent, Alert, Finding } from '@bulwark/contracts';
import type { StoreQuery } from './queries.js';
import type { SqlDialect } from './schema.js';
import type { DeadLetter, VerdictRecord } from './store-records.js';

/**
 * Outcome of a write, as a value. `backpressure`: the buffer is full, try again after `retryAfterMillis`;
 * `unavailable`: the backend is down and the buffer is full; `closed`: after `shutdown()`.
 * A write either accepts every record of the call or none.
 */
export type WriteResult =
  | { ok: true; count: number }
  | {
      ok: false;
      reason: 'backpressure' | 'unavailable' | 'closed';
      retryAfterMillis: number;
      message: string;
    };

/** Outcome of a query, as a value. `invalid`: bad parameters or a row that does not decode. */
export type QueryResult<R> =
  | { ok: true; rows: R[] }
  | { ok: false; reason: 'unavailable' | 'invalid' | 'closed'; retryAfterMillis: number; message: string };

/**
 * Where the pipeline keeps events, tool calls, verdicts, findings, alerts and dead letters. Writes are
 * buffered and batched; `forceFlush()` resolves once everything accepted before the call is durably stored
 * (and rejects with a retriable `StoreError` when it could not be within its timeout: nothing is dropped,
 * the rows stay buffered). Writes are idempotent: records carry stable ids and every query dedupes, so a
 * redelivered record is harmless. Lifecycle follows OpenTelemetry's SpanExporter.
 *
 * @example
 * const res = store.appendEvents(events);
 * if (!res.ok) await sleep(res.retryAfterMillis); // push back on the producer
 * await store.forceFlush(); // now commit the bus offsets
 * const q = await store.query(QUERIES.sessionEvents, { tenantId: 't', sessionId: 's' });
 */
export interface EventStore {
  /** `chdb` (embedded) or `server` (ClickHouse over HTTP). */
  readonly kind: 'chdb' | 'server';
  /** DDL dialect in use (`legacy` on ClickHouse < 20). */
  readonly dialect: SqlDialect;
  /** Events, and a `tool_calls` row for every tool call event. */
  appendEvents(events: readonly AgentEvent[]): WriteResult;
  insertVerdicts(records: readonly VerdictRecord[]): WriteResult;
  insertFindings(findings: readonly Finding[]): WriteResult;
  insertAlerts(alerts: readonly Alert[]): WriteResult;
  insertDeadLetters(letters: readonly DeadLetter[]): WriteResult;
  /** Runs one of the project's named queries (`QUERIES`); sees what has been flushed. */
  query<P extends Record<string, unknown>, R>(query: StoreQuery<P, R>, params: P): Promise<QueryResult<R>>;
  /** False while the backend is failing or after shutdown. Drives `/readyz`. */
  isReady(): boolean;
  forceFlush(): Promise<void>;
  /**
   * Resolves, like `forceFlush()`, once everything accepted before the call is durably stored, but joins the
   * next batch instead of flushing at once (group commit): the write happens when a batch fills or at the
   * latest `lingerMillis` from now. What a consumer calls before committing offsets.
   */
  whenDurable(lingerMillis: number): Promise<void>;
  /** Flushes what was accepted, then releases resources. Later writes answer `closed`. */
  shutdown(): Promise<void>;
}
