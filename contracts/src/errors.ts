/**
 * Base error for every Bulwark package: a stable string `code`, whether retrying may help, and the cause.
 *
 * @example
 * throw new BulwarkError('contracts.invalid_event', 'event failed validation', { retriable: false, cause: err });
 */
export class BulwarkError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  override readonly cause: unknown;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message);
    this.name = 'BulwarkError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.cause = options.cause;
  }
}

/** Validation of untrusted input against a contracts schema failed. */
export class ContractValidationError extends BulwarkError {
  readonly issues: readonly string[];
  constructor(what: string, issues: readonly string[], cause?: unknown) {
    super('contracts.invalid', `${what} is invalid: ${issues.join('; ')}`, { retriable: false, cause });
    this.name = 'ContractValidationError';
    this.issues = issues;
  }
}

/** A retried operation ran out of attempts or time. */
export class RetryExhaustedError extends BulwarkError {
  readonly attempts: number;
  constructor(attempts: number, cause: unknown) {
    super('retry.exhausted', `gave up after ${attempts} attempt(s)`, { retriable: false, cause });
    this.name = 'RetryExhaustedError';
    this.attempts = attempts;
  }
}

/** True when `err` says retrying may succeed (a `BulwarkError` with `retriable`, or `{retriable: true}`). */
export function isRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}
