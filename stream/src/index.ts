export type {
  AlertChannelConfig,
  AlertRouterOptions,
  AlertRoutingConfig,
  AlertRoutingConfigInput,
  DispatchReport,
} from './alerts/alert-router.js';
export {
  AlertChannelConfigSchema,
  AlertRouter,
  AlertRoutingConfigSchema,
  createAlertSink,
  matchDetector,
  parseAlertRoutingConfig,
} from './alerts/alert-router.js';
export type { AlertSink, ApprovalRequest, ApprovalSink, SendResult } from './alerts/alert-sink.js';
export { alertHeadline, isApprovalSink } from './alerts/alert-sink.js';
export type { IncidentTrackerOptions } from './alerts/incident-tracker.js';
export { IncidentTracker, incidentKey } from './alerts/incident-tracker.js';
export type { PagerDutyAlertSinkOptions } from './alerts/pagerduty-alert-sink.js';
export { PAGERDUTY_SEVERITY, PagerDutyAlertSink, pagerDutyEvent } from './alerts/pagerduty-alert-sink.js';
export type { PostOutcome } from './alerts/post-json.js';
export { postJson } from './alerts/post-json.js';
export type { SlackAlertSinkOptions } from './alerts/slack-alert-sink.js';
export { SLACK_LIMITS, SlackAlertSink, slackMessage } from './alerts/slack-alert-sink.js';
export type { WebhookAlertSinkOptions } from './alerts/webhook-alert-sink.js';
export {
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_HEADERS,
  WebhookAlertSink,
} from './alerts/webhook-alert-sink.js';
export type {
  BatchMark,
  BatchQueueAddResult,
  BatchQueueOptions,
  BatchQueueStats,
} from './batch/batch-queue.js';
export { BatchQueue } from './batch/batch-queue.js';
export type {
  BusWalAppendResult,
  BusWalFile,
  BusWalOptions,
  BusWalRecord,
  BusWalRecovery,
  BusWalStats,
} from './bus/bus-wal.js';
export { BusWal } from './bus/bus-wal.js';
export type {
  BusLogger,
  InProcessEventBusOptions,
  InProcessEventBusStats,
} from './bus/in-process-event-bus.js';
export { InProcessEventBus, SILENT_BUS_LOGGER } from './bus/in-process-event-bus.js';
export type { KafkaEventBusOptions, KafkaEventBusStats } from './bus/kafka-event-bus.js';
export { KafkaEventBus } from './bus/kafka-event-bus.js';
export { AlertDeliveryError, EventBusError, StoreError, StreamConfigError } from './errors.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { BatchingWriterOptions, BatchingWriterStats } from './store/batching-writer.js';
export { BatchingWriter } from './store/batching-writer.js';
export type { ChdbEventStoreOptions } from './store/chdb-event-store.js';
export { ChdbEventStore, openChdbDriver } from './store/chdb-event-store.js';
export type { ClickHouseServerEventStoreOptions } from './store/clickhouse-server-event-store.js';
export {
  ClickHouseServerEventStore,
  isRetriableServerError,
  openClickHouseServerDriver,
} from './store/clickhouse-server-event-store.js';
export type { EventStore, QueryResult, WriteResult } from './store/event-store.js';
export type { EventStoreConfig, EventStoreConfigInput } from './store/open-event-store.js';
export {
  EVENT_STORE_ENV,
  EventStoreConfigSchema,
  loadEventStoreConfig,
  openEventStore,
} from './store/open-event-store.js';
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
} from './store/queries.js';
export { checkParams, inlineParams, QUERIES, sqlString } from './store/queries.js';
export type {
  HuntHit,
  HuntReport,
  HuntResult,
  HuntSessionReport,
  RetroHuntOptions,
} from './store/retro-hunt.js';
export { runRetroHunt } from './store/retro-hunt.js';
export type { Migration, SchemaOptions, SqlDialect, TableName, WritableTable } from './store/schema.js';
export { MIGRATIONS, SCHEMA_VERSION, TABLES } from './store/schema.js';
export type { SqlDriver, SqlEventStoreOptions } from './store/sql-event-store.js';
export { dialectFor, SqlEventStore } from './store/sql-event-store.js';
export type { AlertRecord, DeadLetter, VerdictOrigin, VerdictRecord } from './store/store-records.js';
export { verdictId } from './store/store-rows.js';
export type { PolicyFileWatcherOptions } from './worker/policy-file-watcher.js';
export { PolicyFileWatcher } from './worker/policy-file-watcher.js';
export type { CounterSample, StreamCounter } from './worker/stream-metrics.js';
export { STREAM_COUNTERS, StreamMetrics } from './worker/stream-metrics.js';
export type { BusFinding, BusVerdict, StreamWorkerOptions } from './worker/stream-worker.js';
export { FAIL_CLOSED_ALERT_ID, StreamWorker } from './worker/stream-worker.js';
