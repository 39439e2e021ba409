/** Logical topics of the pipeline. Kafka topic names are derived from these by configuration. */
export const BUS_TOPICS = ['events', 'verdicts', 'findings', 'alerts'] as const;
export type BusTopic = (typeof BUS_TOPICS)[number];

/** One record on the bus. `key` is the session key so one session stays ordered. */
export interface BusRecord<T = unknown> {
  key: string;
  value: T;
  /** Set by the bus on delivery: where the record sits, for at-least-once bookkeeping. */
  partition?: number;
  offset?: string;
}

/** Outcome of a publish, as a value: callers map `backpressure` to 429/503 + Retry-After. */
export type PublishResult =
  | { ok: true; count: number }
  | {
      ok: false;
      reason: 'backpressure' | 'unavailable' | 'closed';
      retryAfterMillis: number;
      message: string;
    };

/** How far `publish` goes before it resolves. */
export interface PublishOptions {
  /**
   * Resolve only once the records would survive a crash of this process (Kafka: acknowledged by the broker;
   * in process: appended to the write-ahead log when one is configured). For acknowledging what a client
   * sent (OTLP 200): a record that is only buffered is lost with the process. When that does not happen
   * within `durableTimeoutMillis` the result is `unavailable`; the records stay buffered and are delivered
   * later, so the client's retry is a harmless duplicate (stable ids).
   */
  durable?: boolean;
  /** Default 5 s. */
  durableTimeoutMillis?: number;
}

export interface BusSubscription {
  /** Stops consuming; resolves when the in-flight batch has been handled and committed. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** Consumer group: members share partitions; offsets are committed per group. */
  groupId: string;
  /** Start from the earliest retained record when the group has no committed offset. Default true. */
  fromBeginning?: boolean;
}

/**
 * The pipeline's transport: in process (default, bounded) or Kafka. Delivery is at least once; a handler's
 * batch is committed only after the handler resolves, so a crash re-delivers it.
 *
 * @example
 * const res = await bus.publish('events', [{ key: sessionKey(t, s), value: event }]);
 * if (!res.ok) reply(503, { retryAfter: res.retryAfterMillis });
 */
export interface EventBus {
  publish<T>(
    topic: BusTopic,
    records: readonly BusRecord<T>[],
    options?: PublishOptions,
  ): Promise<PublishResult>;
  subscribe<T>(
    topic: BusTopic,
    handler: (records: readonly BusRecord<T>[]) => Promise<void>,
    options: SubscribeOptions,
  ): Promise<BusSubscription>;
  /** False while the bus cannot accept records (broker down, closed). Drives `/readyz`. */
  isReady(): boolean;
  /** Resolves when every accepted record has been handed to the transport. */
  forceFlush(): Promise<void>;
  /** Flushes what was accepted, then releases resources. */
  shutdown(): Promise<void>;
}
