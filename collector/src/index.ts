export { SessionRouter } from './affinity/session-router.js';
export type { RecordOutcome } from './approval-desk.js';
export { ApprovalDesk } from './approval-desk.js';
export type { AuthenticatorOptions, AuthResult, Principal } from './authenticator.js';
export { Authenticator, MAX_TOKEN_LIFETIME_SECONDS } from './authenticator.js';
export { createCollectorBus } from './collector-bus.js';
export { CollectorMetrics } from './collector-metrics.js';
export type { CollectorConfig, CollectorConfigInput, CollectorConfigResult } from './config.js';
export {
  COLLECTOR_ENV,
  CollectorConfigSchema,
  isLoopbackHost,
  loadCollectorConfig,
  resolveCollectorConfig,
} from './config.js';
export { CollectorConfigError, CollectorError, CollectorListenError } from './errors.js';
export type { AnalystRequest, AnalystResponse, AnalystRoutesOptions } from './http/analyst-routes.js';
export { ANALYST_CSP, AnalystRoutes } from './http/analyst-routes.js';
export { IpFilter } from './ip-filter.js';
export type { DecodedSpan, DecodeResult } from './otlp/decode-otlp-traces.js';
export { decodeOtlpTraces } from './otlp/decode-otlp-traces.js';
export type { GuardrailExporterConfig } from './otlp/guardrail-exporter.js';
export { guardrailExporterConfigFromEnv } from './otlp/guardrail-exporter.js';
export { OtlpProto } from './otlp/otlp-proto.js';
export { parseSince } from './parse-since.js';
export { createServiceLogger, REDACTED_LOG_PATHS } from './service-logger.js';
export type { CollectorWorker, RunningCollector, StartCollectorOptions } from './start-collector.js';
export { startCollector } from './start-collector.js';
export type { StorageWorkerOptions } from './storage-worker.js';
export { StorageWorker } from './storage-worker.js';
