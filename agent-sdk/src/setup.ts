/**
 * `@bulwark/agent-sdk/setup`: the tracer-provider helper, kept out of the core entry so that the SDK itself
 * needs only `@opentelemetry/api`. It uses the OpenTelemetry SDK packages (`@opentelemetry/core`,
 * `@opentelemetry/resources`, `@opentelemetry/sdk-trace-base`, `@opentelemetry/exporter-trace-otlp-http`),
 * optional peer dependencies: install them when you import this entry.
 *
 * @example
 * import { createBulwarkTracerProvider } from '@bulwark/agent-sdk/setup';
 * const provider = createBulwarkTracerProvider({ serviceName: 'travel-agent', url: 'http://127.0.0.1:4318' });
 */
export type { BulwarkTracerProviderOptions } from './create-bulwark-tracer-provider.js';
export { createBulwarkTracerProvider, DEFAULT_TRACES_URL } from './create-bulwark-tracer-provider.js';
