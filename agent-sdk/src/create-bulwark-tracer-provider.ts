import { context, diag, propagation, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  type ExportResult,
  ExportResultCode,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { AsyncContextManager } from './async-context-manager.js';
import { collectorEndpoint, DEFAULT_COLLECTOR_URL } from './collector-url.js';
import { AgentSdkError } from './errors.js';
import { OptionChecker, warnUnknownOptions } from './session-options.js';

/** Default OTLP/HTTP traces endpoint: the Bulwark collector on this host. */
export const DEFAULT_TRACES_URL = 'http://127.0.0.1:4318/v1/traces';

/** Options of {@link createBulwarkTracerProvider}. */
export interface BulwarkTracerProviderOptions {
  /** `service.name` of the agent. */
  serviceName: string;
  /** Exporter to use instead of OTLP/HTTP (e.g. an in-memory exporter in tests). */
  exporter?: SpanExporter;
  /**
   * The collector's base URL, as for `RemoteVerdictProvider`; `/v1/traces` is appended (a full `…/v1/traces`
   * URL is accepted too). Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` when
   * set (the exporter reads them itself, with `OTEL_EXPORTER_OTLP_*HEADERS`), else `http://127.0.0.1:4318`.
   */
  url?: string;
  /** Headers for the OTLP exporter (API key). */
  headers?: Record<string, string>;
  /**
   * Deadline of one export, retries included, ms. Bounds `forceFlush()` and `shutdown()` when the collector
   * is down. Default 2000 (`OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT` when set).
   */
  exportTimeoutMillis?: number;
  /** Extra resource attributes (`deployment.environment.name`, `gen_ai.agent.name`, ...). */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Register as the global tracer provider, W3C propagator and (if none yet) context manager. Default true. */
  registerGlobal?: boolean;
}

const OPTION_KEYS = {
  serviceName: true,
  exporter: true,
  url: true,
  headers: true,
  exportTimeoutMillis: true,
  resourceAttributes: true,
  registerGlobal: true,
} as const satisfies Record<keyof BulwarkTracerProviderOptions, true>;

const DEFAULT_EXPORT_TIMEOUT_MILLIS = 2_000;

/** What an HTTP status refusing spans most likely means, for the `diag` error. */
function statusHint(status: number): string {
  if (status === 404)
    return "; `url` must be the collector's base URL (e.g. http://127.0.0.1:4318), /v1/traces is appended";
  if (status === 401 || status === 403)
    return '; check the API key in `headers` (authorization: Bearer <key>)';
  if (status === 413) return '; the batch is larger than the collector accepts';
  return '';
}

/**
 * Forwards to the OTLP exporter and turns a refusal (HTTP 4xx: wrong URL, missing key) into one `diag` error
 * per status, with what to fix: otherwise every span is dropped with nothing but a generic export failure.
 */
class DiagnosingExporter implements SpanExporter {
  private readonly reported = new Set<number>();
  constructor(
    private readonly inner: SpanExporter,
    private readonly target: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.report(result.error);
      resultCallback(result);
    });
  }

  private report(error: unknown): void {
    const status = (error as { code?: unknown } | undefined)?.code;
    if (typeof status !== 'number' || status < 400 || status >= 500 || this.reported.has(status)) return;
    this.reported.add(status);
    diag.error(
      `@bulwark/agent-sdk: ${this.target} refused spans with HTTP ${status}; they are dropped${statusHint(status)}`,
    );
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Runs a lifecycle call so that it resolves by `deadlineMillis` at the latest and never rejects. */
async function settle(what: string, run: () => Promise<void>, deadlineMillis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deadlineMillis);
    timer.unref?.();
  });
  try {
    const outcome = await Promise.race([run().then(() => 'done' as const), late]);
    if (outcome === 'late')
      diag.error(`@bulwark/agent-sdk: tracer provider ${what} did not finish within ${deadlineMillis} ms`);
  } catch (err) {
    // Telemetry failures never reach the host: spans that could not be delivered are reported and dropped.
    diag.error(
      `@bulwark/agent-sdk: tracer provider ${what} failed (spans not delivered): ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A `BasicTracerProvider` exporting with a `BatchSpanProcessor` over OTLP/HTTP (any OpenTelemetry backend;
 * by default Bulwark's collector), registered globally with the W3C trace-context + baggage propagator.
 * Call `shutdown()` before the process exits to flush. Its `forceFlush()` and `shutdown()` never reject and
 * finish within about `exportTimeoutMillis`: a collector that is down or a wrong URL is reported to `diag`.
 *
 * @example
 * const provider = createBulwarkTracerProvider({ serviceName: 'travel-agent', url: 'http://127.0.0.1:4318' });
 * process.on('beforeExit', () => provider.shutdown());
 */
export function createBulwarkTracerProvider(options: BulwarkTracerProviderOptions): BasicTracerProvider {
  if (!options || typeof options.serviceName !== 'string' || options.serviceName === '')
    throw new AgentSdkError(
      'agent-sdk.invalid_options',
      'createBulwarkTracerProvider: serviceName must be a non-empty string',
    );
  warnUnknownOptions('createBulwarkTracerProvider', options, OPTION_KEYS);
  const c = new OptionChecker('createBulwarkTracerProvider options', {});
  const givenUrl = c.url('url', options.url, undefined);
  const envTimeout = process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
  const exportTimeoutMillis = c.int(
    'exportTimeoutMillis',
    options.exportTimeoutMillis,
    undefined,
    1,
    600_000,
    envTimeout && Number(envTimeout) > 0 ? Number(envTimeout) : DEFAULT_EXPORT_TIMEOUT_MILLIS,
  );
  c.throwIfInvalid();
  let exporter = options.exporter;
  if (!exporter) {
    const fromEnv = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const url =
      givenUrl || !fromEnv
        ? collectorEndpoint(givenUrl ?? new URL(DEFAULT_COLLECTOR_URL), '/v1/traces').href
        : undefined;
    exporter = new DiagnosingExporter(
      new OTLPTraceExporter({
        ...(url ? { url } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
        timeoutMillis: exportTimeoutMillis,
      }),
      url ?? 'the OTLP endpoint',
    );
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...(options.resourceAttributes ?? {}),
      'service.name': options.serviceName,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis })],
  });
  // A flush may export several batches; past this the host is not held up any longer.
  const deadlineMillis = exportTimeoutMillis * 2 + 500;
  const forceFlush = provider.forceFlush.bind(provider);
  const shutdown = provider.shutdown.bind(provider);
  provider.forceFlush = () => settle('forceFlush', forceFlush, deadlineMillis);
  provider.shutdown = () => settle('shutdown', shutdown, deadlineMillis);
  if (options.registerGlobal !== false) {
    if (!trace.setGlobalTracerProvider(provider))
      diag.warn(
        '@bulwark/agent-sdk: a global tracer provider is already registered; pass this one as `tracer`',
      );
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    // setGlobalContextManager refuses (returns false) when the host already registered one: theirs wins.
    context.setGlobalContextManager(new AsyncContextManager().enable());
  }
  return provider;
}
