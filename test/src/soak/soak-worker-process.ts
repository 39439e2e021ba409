// The stream worker in its own process, for the soak's SIGKILL fault. Config: JSON in BULWARK_SOAK_WORKER.
// Prints `READY` once subscribed; SIGTERM drains and exits 0.
import { ClickHouseServerEventStore, KafkaEventBus, StreamWorker } from '@bulwark/stream';
import type { SoakWorkerConfig } from './soak-processes.js';

const config = JSON.parse(process.env.BULWARK_SOAK_WORKER ?? '') as SoakWorkerConfig;
const logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (o: object, m?: string) => console.error('error', m, JSON.stringify(o).slice(0, 300)),
  child: () => logger,
};

const bus = new KafkaEventBus({
  brokers: config.brokers,
  topics: config.topics,
  clientId: `bulwark-soak-worker-${process.pid}`,
  sessionTimeoutMillis: 6_000,
  logger,
});
const store = await ClickHouseServerEventStore.open({
  url: config.clickhouseUrl,
  database: config.database,
  batching: { flushIntervalMillis: 100 },
  logger,
});
const worker = new StreamWorker({ bus, store, groupId: config.groupId, logger });
await worker.start();
console.log('READY');

process.once('SIGTERM', async () => {
  await worker.shutdown();
  await bus.shutdown();
  await store.shutdown();
  process.exit(0);
});
