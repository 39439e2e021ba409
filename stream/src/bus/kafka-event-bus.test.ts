import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { StreamConfigError } from '../errors.js';
import { KafkaEventBus } from './kafka-event-bus.js';

// These tests need no broker: they point the bus at a closed port. The real-broker behaviour is covered
// by test/event-bus.contract.test.ts and collector/test/kafka.test.ts.
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('KafkaEventBus without a broker', () => {
  it('starts anyway, is not ready, buffers up to the bound, then answers unavailable', async () => {
    const port = await closedPort();
    const bus = new KafkaEventBus({
      brokers: [`127.0.0.1:${port}`],
      maxBufferedRecords: 3,
      connectionTimeoutMillis: 200,
      healthCheckIntervalMillis: 200,
      shutdownTimeoutMillis: 300,
    });
    await bus.start();
    expect(bus.isReady()).toBe(false);
    expect(await bus.publish('events', [{ key: 'a', value: 1 }])).toEqual({ ok: true, count: 1 });
    const full = await bus.publish('events', [
      { key: 'a', value: 2 },
      { key: 'a', value: 3 },
      { key: 'a', value: 4 },
    ]);
    expect(full).toMatchObject({ ok: false, reason: 'unavailable' });
    if (!full.ok) expect(full.retryAfterMillis).toBeGreaterThan(0);
    await bus.shutdown();
    // The broker never came: the one accepted record is reported lost, not silently dropped.
    expect(bus.stats().lost).toBe(1);
    expect(await bus.publish('events', [{ key: 'a', value: 5 }])).toMatchObject({
      ok: false,
      reason: 'closed',
    });
  });

  it('a durable publish is not reported ok until the broker acknowledges it', async () => {
    const port = await closedPort();
    const bus = new KafkaEventBus({
      brokers: [`127.0.0.1:${port}`],
      connectionTimeoutMillis: 200,
      healthCheckIntervalMillis: 200,
      shutdownTimeoutMillis: 300,
    });
    await bus.start();
    const started = Date.now();
    const res = await bus.publish('events', [{ key: 'a', value: 1 }], {
      durable: true,
      durableTimeoutMillis: 300,
    });
    // Buffered but not acknowledged: the caller must not acknowledge its client (it answers 503).
    expect(res).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(5_000);
    await bus.shutdown();
  });

  it('rejects invalid options listing every bad key', () => {
    let err: unknown;
    try {
      new KafkaEventBus({ brokers: ['nope'], batchMaxRecords: 0, topics: { events: 'bad topic' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StreamConfigError);
    expect((err as StreamConfigError).issues).toHaveLength(3);
  });

  it('maps logical topics to configured Kafka names', () => {
    const bus = new KafkaEventBus({ brokers: ['127.0.0.1:9092'], topics: { events: 'x.events' } });
    expect(bus.topicName('events')).toBe('x.events');
    expect(bus.topicName('alerts')).toBe('bulwark.alerts');
  });
});
