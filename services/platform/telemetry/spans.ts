import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';

export { type Context, type Span, SpanKind };

/** Headers as HTTP servers and Kafka records hand them over. */
export type TraceCarrier = Readonly<Record<string, string | string[] | undefined>>;

export interface SpanSettings {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
}

/** The tracer of one part of Eventline (gateway, commands, relay, projector): its spans' instrumentation scope. */
export function tracerFor(part: string): Tracer {
  return trace.getTracer(`eventline.${part}`);
}

/** Marks a span failed with the error that ended its work. */
export function spanFailed(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Runs work as the active span (child of the active one), ending it when the work
 * settles; a throw marks it failed. With tracing off this costs a no-op span.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  settings: SpanSettings,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, settings, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      spanFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Starts a span continuing the trace a carrier names (an incoming request's
 * `traceparent`, an event's stored one), and the context with it active. Not
 * made active: the caller decides what runs in the context.
 */
export function continueTrace(
  tracer: Tracer,
  name: string,
  settings: SpanSettings,
  carrier: TraceCarrier,
): { span: Span; context: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  const span = tracer.startSpan(name, settings, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs work with a context active, including the callbacks of the emitters given (request streams). */
export function runInContext<T>(active: Context, emitters: readonly NodeJS.EventEmitter[], work: () => T): T {
  for (const emitter of emitters) context.bind(active, emitter);
  return context.with(active, work);
}

/**
 * The W3C `traceparent` of a context's span, as event metadata and Kafka headers
 * carry it; undefined when there is none, which is always the case with tracing off.
 */
export function traceparentOf(of: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(of, carrier);
  return carrier.traceparent;
}

/** The active span's ids for a log line (the names OpenTelemetry's log model uses); empty without one. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
