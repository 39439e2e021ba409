import { context, diag, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AsyncContextManager } from './async-context-manager.js';
import { AgentSdkError } from './errors.js';

/** Default OTLP/HTTP traces endpoint: the Bulwark collector on this host. */
export const DEFAULT_TRACES_URL = 'http://127.0.0.1:4318/v1/traces';

/** Options of {@link createBulwarkTracerProvider}. */
export interface BulwarkTracerProviderOptions {
  /** `service.name` of the agent. */
  serviceName: string;
  /** Exporter to use instead of OTLP/HTTP (e.g. an in-memory exporter in tests). */
  exporter?: SpanExporter;
  /**
   * OTLP/HTTP traces URL. Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` when
   * set (the exporter reads them itself, with `OTEL_EXPORTER_OTLP_*HEADERS`), else the local collector.
   */
  url?: string;
  /** Headers for the OTLP exporter (API key). */
  headers?: Record<string, string>;
  /** Extra resource attributes (`deployment.environment.name`, `gen_ai.agent.name`, ...). */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Register as the global tracer provider, W3C propagator and (if none yet) context manager. Default true. */
  registerGlobal?: boolean;
}

/**
 * A `BasicTracerProvider` exporting with a `BatchSpanProcessor` over OTLP/HTTP (any OpenTelemetry backend;
 * by default Bulwark's collector), registered globally with the W3C trace-context + baggage propagator.
 * Call `shutdown()` before the process exits to flush.
 *
 * @example
 * const provider = createBulwarkTracerProvider({ serviceName: 'travel-agent' });
 * process.on('beforeExit', () => provider.shutdown());
 */
export function createBulwarkTracerProvider(options: BulwarkTracerProviderOptions): BasicTracerProvider {
  if (!options || typeof options.serviceName !== 'string' || options.serviceName === '')
    throw new AgentSdkError(
      'agent-sdk.invalid_options',
      'createBulwarkTracerProvider: serviceName must be a non-empty string',
    );
  let exporter = options.exporter;
  if (!exporter) {
    const fromEnv = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const url = options.url ?? (fromEnv ? undefined : DEFAULT_TRACES_URL);
    exporter = new OTLPTraceExporter({
      ...(url ? { url } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...(options.resourceAttributes ?? {}),
      'service.name': options.serviceName,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
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
