import type { EventBus } from '@bulwark/contracts';
import { InProcessEventBus, KafkaEventBus } from '@bulwark/stream';
import type { Logger } from 'pino';
import type { CollectorConfig } from './config.js';

type BusConfig = Pick<
  CollectorConfig,
  | 'bus'
  | 'busMaxBufferedRecords'
  | 'busWalDir'
  | 'kafkaBrokers'
  | 'kafkaClientId'
  | 'kafkaTopicEvents'
  | 'kafkaTopicVerdicts'
  | 'kafkaTopicFindings'
  | 'kafkaTopicAlerts'
  | 'kafkaPartitions'
  | 'kafkaReplicationFactor'
>;

/**
 * The event bus the config names: Kafka (started; not necessarily reachable yet, `isReady()` says) or the
 * in-process bus, with its write-ahead log when `busWalDir` is set. Built by the composition root (`serve`)
 * or by `startCollector` when it is given none.
 *
 * @example
 * const bus = await createCollectorBus(config, logger);
 * const collector = await startCollector({ config, eventBus: bus, closeEventBus: true });
 */
export async function createCollectorBus(config: BusConfig, logger: Logger): Promise<EventBus> {
  if (config.bus !== 'kafka')
    return new InProcessEventBus({
      maxBufferedRecords: config.busMaxBufferedRecords,
      logger: logger.child({ component: 'memory-bus' }),
      // With a WAL a span is acknowledged only once on disk; serve defaults it beside the embedded store.
      ...(config.busWalDir && config.busWalDir !== 'off' ? { walDir: config.busWalDir } : {}),
    });
  const kafka = new KafkaEventBus({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    topics: {
      events: config.kafkaTopicEvents,
      verdicts: config.kafkaTopicVerdicts,
      findings: config.kafkaTopicFindings,
      alerts: config.kafkaTopicAlerts,
    },
    numPartitions: config.kafkaPartitions,
    replicationFactor: config.kafkaReplicationFactor,
    maxBufferedRecords: config.busMaxBufferedRecords,
    logger: logger.child({ component: 'kafka-bus' }),
  });
  await kafka.start();
  if (!kafka.isReady())
    logger
      .child({ component: 'collector' })
      .warn({ brokers: config.kafkaBrokers }, 'Kafka is not reachable yet: /readyz answers 503 until it is');
  return kafka;
}
