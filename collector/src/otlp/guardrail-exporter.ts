import { randomBytes } from 'node:crypto';
import {
  type BusRecord,
  type BusTopic,
  type EventBus,
  GUARDRAIL_SEMCONV_DRAFT,
  type GuardrailAttributes,
  type PublishResult,
  type Verdict,
  verdictToGuardrailSpan,
} from '@bulwark/contracts';
import type { Logger } from 'pino';
import { CollectorConfigError } from '../errors.js';

/** Settings of {@link GuardrailExporter}; read from `BULWARK_GUARDRAIL_OTLP_*` by {@link guardrailExporterConfigFromEnv}. */
export interface GuardrailExporterConfig {
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces` (Langfuse, Phoenix, an OTel Collector). */
  url: string;
  /** Extra request headers (an API key). */
  headers: Record<string, string>;
  /** Spans per export request. Default 256. */
  maxBatchSize: number;
  /** Spans held while the backend is slow; past it new spans are dropped (counted). Default 4096. */
  maxQueueSize: number;
  /** How long a span may wait for its batch. Default 1000 ms. */
  scheduledDelayMillis: number;
  /** Deadline of one export request. Default 5000 ms. */
  exportTimeoutMillis: number;
  /** `service.name` of the exported resource. Default `bulwark-collector`. */
  serviceName: string;
  /** `gen_ai.guardrail.security.policy.id` on every span. Default `bulwark`. */
  policyId: string;
}

const DEFAULTS = {
  maxBatchSize: 256,
  maxQueueSize: 4096,
  scheduledDelayMillis: 1_000,
  exportTimeoutMillis: 5_000,
  serviceName: 'bulwark-collector',
  policyId: 'bulwark',
} as const;

/**
 * The exporter's settings from the environment, or undefined when `BULWARK_GUARDRAIL_OTLP_URL` is unset
 * (the default: off). `BULWARK_GUARDRAIL_OTLP_HEADERS` is `k=v,k2=v2` as in `OTEL_EXPORTER_OTLP_HEADERS`;
 * `BULWARK_GUARDRAIL_POLICY_ID` names the policy. A bad value throws `CollectorConfigError` saying what to fix.
 *
 * @example
 * guardrailExporterConfigFromEnv({ BULWARK_GUARDRAIL_OTLP_URL: 'http://127.0.0.1:6006/v1/traces' })?.url;
 */
export function guardrailExporterConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): GuardrailExporterConfig | undefined {
  const raw = env.BULWARK_GUARDRAIL_OTLP_URL?.trim();
  if (!raw) return undefined;
  const issues: string[] = [];
  let url = raw;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    // A base URL gets the OTLP traces path, as OTEL_EXPORTER_OTLP_ENDPOINT does.
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/traces';
    url = u.href;
  } catch {
    issues.push(
      `BULWARK_GUARDRAIL_OTLP_URL: "${raw}" is not an http(s) URL; set the OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces`,
    );
  }
  const headers: Record<string, string> = {};
  for (const part of (env.BULWARK_GUARDRAIL_OTLP_HEADERS ?? '').split(',')) {
    if (part.trim() === '') continue;
    const i = part.indexOf('=');
    if (i <= 0) {
      issues.push('BULWARK_GUARDRAIL_OTLP_HEADERS: expected key=value pairs separated by commas');
      break;
    }
    headers[part.slice(0, i).trim().toLowerCase()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  if (issues.length > 0) throw new CollectorConfigError(issues);
  return {
    ...DEFAULTS,
    url,
    headers,
    policyId: env.BULWARK_GUARDRAIL_POLICY_ID?.trim() || DEFAULTS.policyId,
  };
}

type OtlpValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: { stringValue: string }[] } };

function otlpValue(v: string | number | boolean | string[]): OtlpValue {
  if (Array.isArray(v)) return { arrayValue: { values: v.map((s) => ({ stringValue: s })) } };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

function otlpAttrs(a: GuardrailAttributes): { key: string; value: OtlpValue }[] {
  return Object.entries(a).map(([key, v]) => ({ key, value: otlpValue(v) }));
}

const NANOS_PER_MILLI = 1_000_000n;

/** One verdict as an OTLP/JSON span (`gen_ai.run_guardrail.internal`: kind INTERNAL). */
function toOtlpSpan(verdict: Verdict, policyId: string): Record<string, unknown> {
  const shape = verdictToGuardrailSpan(verdict, { policyId });
  const endNanos = BigInt(Math.round(verdict.timestampMillis)) * NANOS_PER_MILLI;
  const startNanos = endNanos - BigInt(Math.round(verdict.decisionTimeMicros * 1000));
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: shape.name,
    kind: 1,
    startTimeUnixNano: String(startNanos < 0n ? 0n : startNanos),
    endTimeUnixNano: String(endNanos),
    attributes: otlpAttrs(shape.attributes),
    events: shape.findings.map((f) => ({
      name: f.name,
      timeUnixNano: String(endNanos),
      attributes: otlpAttrs(f.attributes),
    })),
    status: shape.refused ? { code: 2, message: 'tool call refused' } : { code: 0 },
  };
}

/**
 * Exports every verdict the collector decides as an OpenTelemetry guardrail span (the draft
 * `gen_ai.guardrail.*` attributes, see `@bulwark/contracts` guardrail-semconv) to an OTLP/HTTP endpoint,
 * so Langfuse, Phoenix or any OTLP backend shows Bulwark's decisions next to the agent's own spans.
 * Batched in the background: `record` only queues, a full queue drops (counted in `dropped`), and an
 * unreachable backend costs one logged warning per outage, never a verdict.
 *
 * @example
 * const exporter = new GuardrailExporter(config, logger);
 * const bus = exporter.watch(innerBus); // verdicts published on `bus` are exported too
 * await exporter.shutdown();
 */
export class GuardrailExporter {
  private queue: Verdict[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private closed = false;
  /** Spans dropped because the queue was full or the backend refused them. */
  dropped = 0;
  /** Spans the backend accepted. */
  exported = 0;

  constructor(
    private readonly config: GuardrailExporterConfig,
    private readonly logger: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Queues verdicts for export; never throws, never waits. */
  record(verdicts: readonly Verdict[]): void {
    if (this.closed) return;
    for (const v of verdicts) {
      if (this.queue.length >= this.config.maxQueueSize) {
        this.dropped += 1;
        continue;
      }
      this.queue.push(v);
    }
    if (this.queue.length >= this.config.maxBatchSize) this.kick();
    else if (!this.timer && this.queue.length > 0) {
      this.timer = setTimeout(() => this.kick(), this.config.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /**
   * The bus, with every verdict it accepts on the `verdicts` topic also queued for export. Only accepted
   * records are exported: a verdict the bus refused was never answered either.
   */
  watch(bus: EventBus): EventBus {
    return {
      publish: async <T>(topic: BusTopic, records: readonly BusRecord<T>[]): Promise<PublishResult> => {
        const res = await bus.publish(topic, records);
        if (res.ok && topic === 'verdicts') {
          try {
            this.record(records.map((r) => r.value as unknown as Verdict));
          } catch (err) {
            this.logger.warn({ err }, 'guardrail span export skipped');
          }
        }
        return res;
      },
      subscribe: (topic, handler, options) => bus.subscribe(topic, handler, options),
      isReady: () => bus.isReady(),
      forceFlush: () => bus.forceFlush(),
      shutdown: () => bus.shutdown(),
    };
  }

  /** Exports what is queued; resolves when done (or failed). */
  async forceFlush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      this.kick();
      await this.inFlight;
    }
  }

  /** Flushes (bounded by the export timeout per batch) and stops accepting. */
  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.closed = true;
    clearTimeout(this.timer);
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.config.maxBatchSize);
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async send(batch: Verdict[]): Promise<void> {
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: otlpAttrs({ 'service.name': this.config.serviceName }) },
          scopeSpans: [
            {
              scope: { name: '@bulwark/collector/guardrails', version: GUARDRAIL_SEMCONV_DRAFT },
              spans: batch.map((v) => toOtlpSpan(v, this.config.policyId)),
            },
          ],
        },
      ],
    });
    try {
      const res = await this.fetchImpl(this.config.url, {
        method: 'POST',
        headers: { ...this.config.headers, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.config.exportTimeoutMillis),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.exported += batch.length;
      if (this.failing) this.logger.info({ url: this.config.url }, 'guardrail span export recovered');
      this.failing = false;
    } catch (err) {
      this.dropped += batch.length;
      if (!this.failing)
        this.logger.warn(
          { url: this.config.url, err: (err as Error).message, dropped: batch.length },
          'guardrail span export failed; spans are dropped until the endpoint answers (verdicts are unaffected)',
        );
      this.failing = true;
    }
  }
}
