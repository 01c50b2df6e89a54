export { batchFields, type BatchItem } from './batch-fields.ts';
export { createLogger, type Logger, REDACTED_PATHS } from './logger.ts';
export { createMetricsRegistry } from './metrics.ts';
export { routeProcessWarnings } from './process-warnings.ts';
export {
  type Context,
  continueTrace,
  inSpan,
  runInContext,
  type Span,
  SpanKind,
  spanFailed,
  type SpanSettings,
  type TraceCarrier,
  traceFields,
  traceparentOf,
  tracerFor,
} from './spans.ts';
export { registerTracing, startTracing, type Tracing, tracingEnv } from './tracing.ts';
