import type { Message } from 'kafkajs';
import {
  continueTrace,
  type Span,
  SpanKind,
  spanFailed,
  traceparentOf,
  tracerFor,
} from '../platform/telemetry/index.ts';

const tracer = tracerFor('relay');

/**
 * Publishes with one PRODUCER span per record whose event was stored with a
 * traceparent: the span continues the event's trace, and the record's
 * `traceparent` header is rewritten to name it, so consumers continue from the
 * publish. Records without one are sent as they are; with tracing off the
 * stored traceparent goes out unchanged.
 */
export async function publishTraced(
  batches: ReadonlyMap<string, readonly Message[]>,
  publish: (batches: ReadonlyMap<string, readonly Message[]>) => Promise<void>,
): Promise<void> {
  const spans: Span[] = [];
  for (const [topic, messages] of batches) {
    for (const message of messages) {
      const headers = message.headers;
      const stored = headers?.traceparent;
      if (!headers || typeof stored !== 'string') continue;
      const { span, context } = continueTrace(
        tracer,
        `send ${topic}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.destination.name': topic,
            'messaging.message.id': String(headers['event-id']),
          },
        },
        { traceparent: stored },
      );
      headers.traceparent = traceparentOf(context) ?? stored;
      spans.push(span);
    }
  }
  try {
    await publish(batches);
  } catch (error) {
    for (const span of spans) spanFailed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}
