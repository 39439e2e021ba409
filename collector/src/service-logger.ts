import { type Logger, pino } from 'pino';
import type { CollectorConfig } from './config.js';

/**
 * Paths pino censors: credentials, and the text agents exchange (prompts, completions, tool arguments and
 * results), which may hold personal data and must not reach log storage.
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKeys',
  'config.apiKeys',
  'config.jwks',
  'password',
  '*.password',
  'clickhousePassword',
  '*.clickhousePassword',
  'routingKey',
  '*.routingKey',
  'webhookUrl',
  '*.webhookUrl',
  'secret',
  '*.secret',
  'content',
  '*.content',
  'arguments',
  '*.arguments',
  'text',
  '*.text',
  'result',
  '*.result',
  'messages',
  '*.messages',
  'systemInstructions',
  '*.systemInstructions',
];

/**
 * The root logger of the Bulwark services (JSON lines on stdout); components take `logger.child({ component })`.
 *
 * @example
 * const log = createServiceLogger('info').child({ component: 'verdicts' });
 */
export function createServiceLogger(level: CollectorConfig['logLevel']): Logger {
  return pino({
    level,
    base: { service: 'bulwark-collector' },
    redact: { paths: [...REDACTED_LOG_PATHS], censor: '[redacted]' },
  });
}
