export type { CommandModule, CommandSpec } from './cli.js';
export { COMMANDS, EXIT_USAGE, main, runCli } from './cli.js';
export type { HuntIo } from './commands/hunt.js';
export { formatReport as formatHuntReport, run as runHunt } from './commands/hunt.js';
export { CliError } from './errors.js';
export type { ServeLock } from './serve-lock-file.js';
export { readServeLock, SERVE_LOCK_FILE, writeServeLock } from './serve-lock-file.js';
export type { ServiceConfig, ServiceConfigResult, ServiceFileKey } from './service-config.js';
export { loadServiceConfig, SERVICE_FILES_ENV } from './service-config.js';
