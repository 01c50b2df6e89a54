import type { KafkaMessage } from 'kafkajs';
import { continueTrace, runInContext, SpanKind, spanFailed, tracerFor } from '../platform/telemetry/index.ts';
import { headersOf } from './incoming-event.ts';
import type { PartitionBatch } from './partition-batch.ts';

const tracer = tracerFor('projector');

/**
 * Applies one record as a CONSUMER span continuing the record's `traceparent`
 * (the relay's publish span), so the read-model write ends the command's trace.
 * A record without one is applied untraced. The work answers the error that
 * made it give up (the event is then parked), which marks the span failed.
 */
export async function applyTraced(
  batch: Pick<PartitionBatch, 'projection' | 'topic' | 'partition'>,
  message: KafkaMessage,
  apply: () => Promise<Error | undefined>,
): Promise<Error | undefined> {
  const traceparent = headersOf(message).traceparent;
  if (!traceparent) return apply();
  const { span, context } = continueTrace(
    tracer,
    `process ${batch.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': batch.topic,
        'messaging.destination.partition.id': String(batch.partition),
        'messaging.kafka.offset': Number(message.offset),
        'eventline.projection': batch.projection.name,
      },
    },
    { traceparent },
  );
  try {
    const failure = await runInContext(context, [], apply);
    if (failure) spanFailed(span, failure);
    return failure;
  } catch (error) {
    spanFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}
