import { BulwarkError } from '@bulwark/contracts';

/**
 * Errors of the collector package. `code` values are stable: `collector.<what>`.
 *
 * @example
 * if (err instanceof CollectorError && err.code === 'collector.listen_failed') process.exitCode = 1;
 */
export class CollectorError extends BulwarkError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('collector.') ? code : `collector.${code}`, message, options);
    this.name = 'CollectorError';
  }
}

/**
 * The collector's configuration is invalid. `issues` lists every bad key with its env name, e.g.
 * `port (BULWARK_PORT): expected a number, got "abc"`.
 *
 * @example
 * try { await startCollector(); } catch (e) { if (e instanceof CollectorConfigError) console.error(e.issues.join('\n')); }
 */
export class CollectorConfigError extends CollectorError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], cause?: unknown) {
    super('collector.invalid_config', `collector configuration is invalid:\n  - ${issues.join('\n  - ')}`, {
      cause,
    });
    this.name = 'CollectorConfigError';
    this.issues = issues;
  }
}

/**
 * The HTTP server could not listen (port in use, permission denied).
 *
 * @example
 * new CollectorListenError('127.0.0.1:4318', err).message; // 'cannot listen on 127.0.0.1:4318: listen EADDRINUSE ...'
 */
export class CollectorListenError extends CollectorError {
  constructor(address: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('collector.listen_failed', `cannot listen on ${address}: ${reason}`, { cause });
    this.name = 'CollectorListenError';
  }
}
