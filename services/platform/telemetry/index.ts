export { createLogger, type Logger, REDACTED_PATHS } from './logger.ts';
export { createMetricsRegistry } from './metrics.ts';
