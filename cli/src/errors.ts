import { BulwarkError } from '@bulwark/contracts';

/**
 * Errors of the CLI package. `code` values are stable: `cli.<what>`. Commands report expected failures as
 * exit codes (2 bad arguments or configuration, 1 runtime); this class is for what a caller of the exported
 * functions has to tell apart.
 *
 * @example
 * if (err instanceof CliError && err.code === 'cli.usage') process.exitCode = 2;
 */
export class CliError extends BulwarkError {
  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code.startsWith('cli.') ? code : `cli.${code}`, message, options);
    this.name = 'CliError';
  }
}
