import { STREAM_COUNTERS, type StreamMetrics } from '@bulwark/stream';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The collector's Prometheus metrics, on a registry of its own (two collectors in one process do not clash).
 * Every drop has a counter with its reason: nothing is discarded silently.
 *
 * @example
 * const metrics = new CollectorMetrics();
 * metrics.dropped.inc({ reason: 'not_agent_span' });
 * res.end(await metrics.registry.metrics());
 */
export class CollectorMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'bulwark_collector_http_requests_total',
    help: 'HTTP requests by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly verdicts = new Counter({
    name: 'bulwark_collector_verdicts_total',
    help: 'Verdicts answered, by decision and by where they were decided (local engine or a peer).',
    labelNames: ['decision', 'source'] as const,
    registers: [this.registry],
  });
  readonly verdictDuration = new Histogram({
    name: 'bulwark_collector_verdict_duration_seconds',
    help: 'Time from request received to verdict written, for POST /v1/verdicts.',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly spansReceived = new Counter({
    name: 'bulwark_collector_spans_received_total',
    help: 'Spans received on /v1/traces (before filtering).',
    registers: [this.registry],
  });
  readonly eventsIn = new Counter({
    name: 'bulwark_collector_events_in_total',
    help: 'AgentEvents taken in, by source (otlp span mapping, verdict request, peer forward).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly eventsOut = new Counter({
    name: 'bulwark_collector_records_published_total',
    help: 'Records accepted by the event bus, by topic.',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly produceErrors = new Counter({
    name: 'bulwark_collector_produce_errors_total',
    help: 'Records the event bus refused, by topic and reason (backpressure, unavailable, closed).',
    labelNames: ['topic', 'reason'] as const,
    registers: [this.registry],
  });
  readonly dropped = new Counter({
    name: 'bulwark_collector_dropped_total',
    help: 'Spans, events or records not processed, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rejectedSpans = new Counter({
    name: 'bulwark_collector_rejected_spans_total',
    help: 'Spans rejected as malformed (reported to the exporter in partialSuccess).',
    registers: [this.registry],
  });
  readonly clockSkew = new Counter({
    name: 'bulwark_events_clock_skew_total',
    help: 'Events kept with their time clamped to the received time because the claimed time was implausible (too far in the past or future), by source.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly peerForwards = new Counter({
    name: 'bulwark_collector_peer_forwards_total',
    help: 'Requests forwarded to the session owner, by kind and outcome (ok, failed, skipped_down).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'bulwark_collector_auth_failures_total',
    help: 'Requests refused by authentication or the IP lists, by code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly busReady = new Gauge({
    name: 'bulwark_collector_bus_ready',
    help: '1 while the event bus accepts records, else 0.',
    registers: [this.registry],
  });
  readonly shed = new Counter({
    name: 'bulwark_collector_shed_total',
    help: 'Requests refused with 429/503 + Retry-After to shed load, by route and reason (tenant_busy, overloaded, expired, too_many_connections, bus_backpressure, bus_unavailable, bus_closed).',
    labelNames: ['route', 'reason'] as const,
    registers: [this.registry],
  });
  readonly verdictLimitRejections = new Counter({
    name: 'bulwark_collector_verdict_limit_rejections_total',
    help: 'Verdict requests refused at the edge for breaking a bound, by code (too_deep, too_many_events, value_too_large).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly verdictsInFlight = new Gauge({
    name: 'bulwark_collector_verdicts_in_flight',
    help: 'Verdict requests being read, queued or decided (at scrape time).',
    registers: [this.registry],
  });
  private analysisCacheStats: (() => Record<string, number> | undefined) | undefined;
  readonly analysisCache = new Gauge({
    name: 'bulwark_engine_analysis_cache',
    help: 'The detection engine\'s shared text-analysis cache at scrape time: stat="hits"|"misses" (cumulative since start), "evictions" (cumulative), "entries", "bytes".',
    labelNames: ['stat'] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.analysisCacheStats?.();
      if (!stats) return;
      for (const stat of ['hits', 'misses', 'evictions', 'entries', 'bytes'])
        this.analysisCache.set({ stat }, stats[stat] ?? 0);
    },
  });

  private walStats: (() => Record<string, number> | undefined) | undefined;
  readonly busWal = new Gauge({
    name: 'bulwark_bus_wal',
    help: 'The in-process bus write-ahead log at scrape time: stat="appended_records"|"commits"|"commit_micros"|"write_errors"|"recovered_records"|"torn_records"|"segments_deleted" (cumulative since start), "segments", "bytes_on_disk".',
    labelNames: ['stat'] as const,
    registers: [this.registry],
    collect: () => {
      const stats = this.walStats?.();
      if (!stats) return;
      const names: Record<string, string> = {
        appendedRecords: 'appended_records',
        commits: 'commits',
        commitMicros: 'commit_micros',
        writeErrors: 'write_errors',
        recoveredRecords: 'recovered_records',
        tornRecords: 'torn_records',
        segmentsDeleted: 'segments_deleted',
        segments: 'segments',
        bytesOnDisk: 'bytes_on_disk',
      };
      for (const [key, stat] of Object.entries(names)) this.busWal.set({ stat }, stats[key] ?? 0);
    },
  });

  /** Reads the bus write-ahead log's numbers at every scrape (`InProcessEventBus.stats().wal`). */
  watchBusWal(stats: () => Record<string, number> | undefined): void {
    this.walStats = stats;
  }

  /** Reads the engine's cache numbers at every scrape (`engine.cacheStats()`). */
  watchAnalysisCache(stats: () => Record<string, number> | undefined): void {
    this.analysisCacheStats = stats;
  }

  readonly openConnections = new Gauge({
    name: 'bulwark_collector_open_connections',
    help: 'Open client connections (at scrape time).',
    registers: [this.registry],
  });
  readonly failClosed = new Counter({
    name: 'bulwark_fail_closed_calls_total',
    help: 'Tool calls the agents refused without a verdict (their fallback blocked: source="fallback_timeout"|"fallback_unavailable"|"fallback_error"), as reported in verdict requests and tool call spans; each call once.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly reevaluations = new Counter({
    name: 'bulwark_late_evidence_reevaluations_total',
    help: 'Calls decided inline that evidence arriving after the decision made stricter (stored as origin="stream" verdicts), by the stricter decision.',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });
  readonly passthroughErrors = new Counter({
    name: 'bulwark_collector_passthrough_errors_total',
    help: 'Requests that could not be forwarded to BULWARK_PASSTHROUGH_URL.',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Exports the stream worker's counters (store rows, alerts sent, dead letters ...) as `bulwark_<name>`, read
   * at scrape time. Counters only grow, so they are exposed as Prometheus counters.
   */
  addStreamMetrics(stream: StreamMetrics): void {
    for (const [name, help] of Object.entries(STREAM_COUNTERS)) {
      const metricName = `bulwark_${name}`;
      if (this.registry.getSingleMetric(metricName)) continue;
      new Counter({
        name: metricName,
        help,
        // prom-client needs label names up front: every label the stream side sets.
        labelNames: ['table', 'channel', 'severity', 'source', 'outcome'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of stream.snapshot()) {
            if (s.name !== name) continue;
            this.inc(s.labels, s.value);
          }
        },
      });
    }
  }
}
