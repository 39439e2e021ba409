import { BulwarkError } from '@bulwark/contracts';

/** Errors of the detectors package. `code` values are stable: `detectors.<what>`. */
export class DetectorsError extends BulwarkError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('detectors.') ? code : `detectors.${code}`, message, options);
    this.name = 'DetectorsError';
  }
}

/** A policy file that does not parse or validate; `issues` lists every problem with its path. */
export class PolicyError extends DetectorsError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], cause?: unknown) {
    super('detectors.invalid_policy', `policy is invalid: ${issues.join('; ')}`, { cause });
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

/** The event store failed an operation (`detectors.store_*`); `retriable` says whether trying again may help. */
export class StoreError extends DetectorsError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('detectors.store_') ? code : `detectors.store_${code}`, message, options);
    this.name = 'StoreError';
  }
}

/** Configuration of a stream component (store, worker, alert routing) is invalid; `issues` lists every bad key. */
export class StreamConfigError extends DetectorsError {
  readonly issues: readonly string[];
  constructor(what: string, issues: readonly string[], cause?: unknown) {
    super('detectors.invalid_stream_config', `${what} configuration is invalid: ${issues.join('; ')}`, {
      cause,
    });
    this.name = 'StreamConfigError';
    this.issues = issues;
  }
}

/** An alert channel did not accept a delivery. `status` is the HTTP status when the channel answered. */
export class AlertDeliveryError extends DetectorsError {
  readonly channel: string;
  readonly status: number | undefined;
  readonly retryAfterMillis: number | undefined;
  constructor(
    channel: string,
    message: string,
    options: { retriable: boolean; status?: number; retryAfterMillis?: number; cause?: unknown },
  ) {
    super('detectors.alert_delivery_failed', `${channel}: ${message}`, options);
    this.name = 'AlertDeliveryError';
    this.channel = channel;
    this.status = options.status;
    this.retryAfterMillis = options.retryAfterMillis;
  }
}

/**
 * An event bus could not do what was asked (`detectors.bus_*`): closed, broker unreachable when subscribing.
 *
 * @example
 * throw new EventBusError('unavailable', 'Kafka bus: could not subscribe', { retriable: true, cause: err });
 */
export class EventBusError extends DetectorsError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('detectors.bus_') ? code : `detectors.bus_${code}`, message, options);
    this.name = 'EventBusError';
  }
}

/** A tool lock file (`bulwark.lock.json`) that does not parse or validate; `issues` lists every problem with its path. */
export class ToolLockError extends DetectorsError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], cause?: unknown) {
    super('detectors.invalid_tool_lock', `${source} is not a valid tool lock: ${issues.join('; ')}`, {
      cause,
    });
    this.name = 'ToolLockError';
    this.issues = issues;
  }
}
