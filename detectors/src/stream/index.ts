export { AlertDeliveryError, EventBusError, StoreError, StreamConfigError } from '../errors.js';
export type {
  AlertChannelConfig,
  AlertRouterOptions,
  AlertRoutingConfig,
  AlertRoutingConfigInput,
  DispatchReport,
} from './alert-router.js';
export {
  AlertChannelConfigSchema,
  AlertRouter,
  AlertRoutingConfigSchema,
  createAlertSink,
  matchDetector,
  parseAlertRoutingConfig,
} from './alert-router.js';
export type { AlertSink, ApprovalRequest, ApprovalSink, SendResult } from './alert-sink.js';
export { alertHeadline, isApprovalSink } from './alert-sink.js';
export type { BatchingWriterOptions, BatchingWriterStats } from './batching-writer.js';
export { BatchingWriter } from './batching-writer.js';
export type {
  BusWalAppendResult,
  BusWalFile,
  BusWalOptions,
  BusWalRecord,
  BusWalRecovery,
  BusWalStats,
} from './bus-wal.js';
export { BusWal } from './bus-wal.js';
export type { ChdbEventStoreOptions } from './chdb-event-store.js';
export { ChdbEventStore } from './chdb-event-store.js';
export type { ClickHouseServerEventStoreOptions } from './clickhouse-server-event-store.js';
export { ClickHouseServerEventStore, isRetriableServerError } from './clickhouse-server-event-store.js';
export type {
  AlertRecord,
  DeadLetter,
  EventStore,
  QueryResult,
  VerdictOrigin,
  VerdictRecord,
  WriteResult,
} from './event-store.js';
export type {
  BusLogger,
  InProcessEventBusOptions,
  InProcessEventBusStats,
} from './in-process-event-bus.js';
export { InProcessEventBus, SILENT_BUS_LOGGER } from './in-process-event-bus.js';
export type { IncidentTrackerOptions } from './incident-tracker.js';
export { IncidentTracker, incidentKey } from './incident-tracker.js';
export type { KafkaEventBusOptions, KafkaEventBusStats } from './kafka-event-bus.js';
export { KafkaEventBus } from './kafka-event-bus.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { EventStoreConfig, EventStoreConfigInput } from './open-event-store.js';
export {
  EVENT_STORE_ENV,
  EventStoreConfigSchema,
  loadEventStoreConfig,
  openEventStore,
} from './open-event-store.js';
export type { PagerDutyAlertSinkOptions } from './pagerduty-alert-sink.js';
export { PAGERDUTY_SEVERITY, PagerDutyAlertSink, pagerDutyEvent } from './pagerduty-alert-sink.js';
export type { PolicyFileWatcherOptions } from './policy-file-watcher.js';
export { PolicyFileWatcher } from './policy-file-watcher.js';
export type { PostOutcome } from './post-json.js';
export { postJson } from './post-json.js';
export type {
  BlockedToolRow,
  DecisionsPerMinuteRow,
  EnforcedCountRow,
  MigrationRow,
  QueryName,
  RefusedToolCallRow,
  SessionSummary,
  StoreQuery,
  TableStatsRow,
  ToolCallRecord,
} from './queries.js';
export { checkParams, inlineParams, QUERIES, sqlString } from './queries.js';
export type { HuntHit, HuntReport, HuntResult, HuntSessionReport, RetroHuntOptions } from './retro-hunt.js';
export { runRetroHunt } from './retro-hunt.js';
export type { Migration, SchemaOptions, SqlDialect, TableName, WritableTable } from './schema.js';
export { MIGRATIONS, SCHEMA_VERSION, TABLES } from './schema.js';
export type { SlackAlertSinkOptions } from './slack-alert-sink.js';
export { SLACK_LIMITS, SlackAlertSink, slackMessage } from './slack-alert-sink.js';
export type { SqlDriver, SqlEventStoreOptions } from './sql-event-store.js';
export { dialectFor, SqlEventStore } from './sql-event-store.js';
export { verdictId } from './store-rows.js';
export type { CounterSample, StreamCounter } from './stream-metrics.js';
export { STREAM_COUNTERS, StreamMetrics } from './stream-metrics.js';
export type { BusFinding, BusVerdict, StreamWorkerOptions } from './stream-worker.js';
export { FAIL_CLOSED_ALERT_ID, StreamWorker } from './stream-worker.js';
export type { WebhookAlertSinkOptions } from './webhook-alert-sink.js';
export {
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_HEADERS,
  WebhookAlertSink,
} from './webhook-alert-sink.js';
