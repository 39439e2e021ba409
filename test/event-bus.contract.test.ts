import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InProcessEventBus, KafkaEventBus } from '@bulwark/stream';
import { describeEventBusContract } from '@bulwark/stream/testing';
import { afterAll, describe, it } from 'vitest';
import { kafkaHostPort } from './src/services.js';
import { tcpReachable } from './src/tcp-reachable.js';

describeEventBusContract('InProcessEventBus', {
  durable: false,
  open: async (_namespace, options) => new InProcessEventBus({ ...options, flushTimeoutMillis: 5_000 }),
});

// With a write-ahead log the in-process bus is durable: a bus reopened on the same directory gets what the
// closed one accepted and nobody had handled.
const walRoot = mkdtempSync(path.join(tmpdir(), 'bulwark-bus-wal-contract-'));
afterAll(() => rmSync(walRoot, { recursive: true, force: true }));
describeEventBusContract('InProcessEventBus (write-ahead log)', {
  durable: true,
  open: async (namespace, options) =>
    new InProcessEventBus({ ...options, flushTimeoutMillis: 5_000, walDir: path.join(walRoot, namespace) }),
});

// The broker scripts/kafka.mjs runs (BULWARK_KAFKA_PORT) or BULWARK_KAFKA_BROKERS, never an assumed 9092.
const { host: KAFKA_HOST, port: KAFKA_PORT } = kafkaHostPort();
const kafkaUp = await tcpReachable(KAFKA_HOST, KAFKA_PORT);

if (kafkaUp || process.env.CI) {
  describeEventBusContract('KafkaEventBus', {
    durable: true,
    testTimeoutMillis: 60_000,
    open: async (namespace, options) => {
      const prefix = `bulwark.test.${namespace}`;
      const bus = new KafkaEventBus({
        brokers: [`${KAFKA_HOST}:${KAFKA_PORT}`],
        clientId: `bulwark-contract-${namespace}`,
        topics: {
          events: `${prefix}.events`,
          verdicts: `${prefix}.verdicts`,
          findings: `${prefix}.findings`,
          alerts: `${prefix}.alerts`,
        },
        numPartitions: 3,
        ...options,
      });
      if (!(await bus.whenReady(30_000))) {
        await bus.shutdown();
        throw new Error(`Kafka on ${KAFKA_HOST}:${KAFKA_PORT} did not become ready within 30 s`);
      }
      return bus;
    },
  });
} else {
  describe('EventBus contract: KafkaEventBus', () => {
    it.skip(`skipped: no Kafka broker on ${KAFKA_HOST}:${KAFKA_PORT} (start one with \`node scripts/kafka.mjs start\`; under CI this fails instead)`, () => {});
  });
}
