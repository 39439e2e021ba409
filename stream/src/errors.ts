import { BulwarkError } from '@bulwark/contracts';

/** Errors of the stream package. `code` values are stable: `stream.<what>`. */
export class StreamError extends BulwarkError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('stream.') ? code : `stream.${code}`, message, options);
    this.name = 'StreamError';
  }
}

/** The event store failed an operation (`stream.store_*`); `retriable` says whether trying again may help. */
export class StoreError extends StreamError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('stream.store_') ? code : `stream.store_${code}`, message, options);
    this.name = 'StoreError';
  }
}

/** Configuration of a stream component (store, worker, alert routing) is invalid; `issues` lists every bad key. */
export class StreamConfigError extends StreamError {
  readonly issues: readonly string[];
  constructor(what: string, issues: readonly string[], cause?: unknown) {
    super('stream.invalid_config', `${what} configuration is invalid: ${issues.join('; ')}`, {
      cause,
    });
    this.name = 'StreamConfigError';
    this.issues = issues;
  }
}

/** An alert channel did not accept a delivery. `status` is the HTTP status when the channel answered. */
export class AlertDeliveryError extends StreamError {
  readonly channel: string;
  readonly status: number | undefined;
  readonly retryAfterMillis: number | undefined;
  constructor(
    channel: string,
    message: string,
    options: { retriable: boolean; status?: number; retryAfterMillis?: number; cause?: unknown },
  ) {
    super('stream.alert_delivery_failed', `${channel}: ${message}`, options);
    this.name = 'AlertDeliveryError';
    this.channel = channel;
    this.status = options.status;
    this.retryAfterMillis = options.retryAfterMillis;
  }
}

/**
 * An event bus could not do what was asked (`stream.bus_*`): closed, broker unreachable when subscribing.
 *
 * @example
 * throw new EventBusError('unavailable', 'Kafka bus: could not subscribe', { retriable: true, cause: err });
 */
export class EventBusError extends StreamError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('stream.bus_') ? code : `stream.bus_${code}`, message, options);
    this.name = 'EventBusError';
  }
}
