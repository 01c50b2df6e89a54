import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { traceFields } from './spans.ts';

export type { Logger } from 'pino';

/**
 * Paths pino blanks in every log line: credentials and personal payload fields
 * never reach the logs, whatever object a caller logs.
 */
export const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'password',
  'token',
  'secret',
  '*.authorization',
  '*.Authorization',
  '*["x-api-key"]',
  '*.apiKey',
  '*.password',
  '*.token',
  '*.secret',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.payload.customerId',
  'payload.customerId',
  '*.data.customerId',
  'data.customerId',
];

/**
 * The one logger of a process: JSON lines, the service named on every line, and
 * the trace and span ids on every line written while a span is active.
 */
export function createLogger(
  service: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
  };
  // Standard output unless a test reads the lines itself.
  return destination ? pino(options, destination) : pino(options);
}
