/** Counter names of the stream components (prefix `bulwark_` when exported). */
export const STREAM_COUNTERS = {
  store_rows_accepted_total: 'Rows accepted into the event store buffer',
  store_rows_written_total: 'Rows durably written to ClickHouse',
  store_rows_rejected_total: 'Rows refused because the store buffer was full (backpressure)',
  store_flush_failures_total: 'Batch inserts that failed after retries (rows kept and retried)',
  store_rows_dead_lettered_total: 'Rows ClickHouse refused permanently, kept in dead_letters',
  store_events_clock_skew_total:
    'Events stored without a collector stamp whose own time was implausible (stored by received time)',
  worker_events_total: 'Events processed by the stream worker',
  worker_findings_total: 'Findings produced by the stream worker',
  worker_verdicts_total: 'After-the-fact verdicts produced by the stream worker',
  worker_invalid_records_total: 'Bus records that did not validate, kept in dead_letters',
  alerts_raised_total: 'Alerts raised by the incident tracker',
  alerts_suppressed_total: 'Findings folded into an incident already alerted (suppression window)',
  alerts_sent_total: 'Alert deliveries accepted by a channel',
  alert_send_retries_total: 'Alert delivery retries',
  alerts_dead_lettered_total: 'Alert deliveries that failed permanently, kept in dead_letters',
  approvals_requested_total: 'require_approval verdicts sent to an approver channel',
} as const;
export type StreamCounter = keyof typeof STREAM_COUNTERS;

export interface CounterSample {
  name: StreamCounter;
  help: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * In-memory counters of the stream components. The collector reads `snapshot()` into prom-client in a
 * collect callback (prom-client stays out of this package).
 *
 * @example
 * const metrics = new StreamMetrics();
 * new Gauge({ name: 'bulwark_alerts_sent_total', help, labelNames: ['channel'], collect() {
 *   for (const s of metrics.snapshot()) if (s.name === 'alerts_sent_total') this.set(s.labels, s.value);
 * } });
 */
export class StreamMetrics {
  private readonly counters = new Map<string, CounterSample>();

  inc(name: StreamCounter, labels: Record<string, string> = {}, by = 1): void {
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    const c = this.counters.get(key);
    if (c) c.value += by;
    else this.counters.set(key, { name, help: STREAM_COUNTERS[name], labels: { ...labels }, value: by });
  }

  /** Sum of a counter over all label sets (or those matching `labels`). */
  value(name: StreamCounter, labels: Record<string, string> = {}): number {
    let total = 0;
    for (const c of this.counters.values()) {
      if (c.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => c.labels[k] === v)) total += c.value;
    }
    return total;
  }

  snapshot(): CounterSample[] {
    return [...this.counters.values()].map((c) => ({ ...c, labels: { ...c.labels } }));
  }
}
