/**
 * The logging seam of the stream components: the subset of pino's API they use, so a pino logger (or a
 * child of the collector's) plugs in as is and pino stays an optional dependency.
 *
 * @example
 * import pino from 'pino';
 * const worker = new StreamWorker({ bus, store, logger: pino({ redact: ['*.content'] }) });
 */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = () => {};

/** A logger that discards everything (the default). */
export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

/** Message of an unknown error, for logs and dead letters (never the payload). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}
