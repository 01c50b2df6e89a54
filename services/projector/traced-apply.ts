import type { KafkaMessage } from 'kafkajs';
import { continueTrace, runInContext, SpanKind, spanFailed, tracerFor } from '../platform/telemetry/index.ts';
import { headersOf } from './incoming-event.ts';
import type { PartitionBatch } from './partition-batch.ts';

const tracer = tracerFor('projector');

/** A CONSUMER span continuing the record's `traceparent` (the relay's publish span); none without one. */
function processSpan(
  batch: Pick<PartitionBatch, 'projection' | 'topic' | 'partition'>,
  message: KafkaMessage,
) {
  const traceparent = headersOf(message).traceparent;
  if (!traceparent) return undefined;
  return continueTrace(
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
}

/**
 * Applies one record as its CONSUMER span, so the read-model write ends the
 * command's trace. A record without one is applied untraced. The work answers
 * the error that made it give up (the event is then parked), which marks the
 * span failed.
 */
export async function applyTraced(
  batch: Pick<PartitionBatch, 'projection' | 'topic' | 'partition'>,
  message: KafkaMessage,
  apply: () => Promise<Error | undefined>,
): Promise<Error | undefined> {
  const traced = processSpan(batch, message);
  if (!traced) return apply();
  const { span, context } = traced;
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

/**
 * Applies records together (one bulk write, maybe of several partitions) with
 * a CONSUMER span for each traced one, spanning the shared write: each
 * command's trace still ends in the write that made it visible.
 */
export async function applyTracedTogether<T>(
  parts: ReadonlyArray<{
    readonly batch: Pick<PartitionBatch, 'projection' | 'topic' | 'partition'>;
    readonly messages: readonly KafkaMessage[];
  }>,
  apply: () => Promise<T>,
): Promise<T> {
  const spans = parts.flatMap(({ batch, messages }) =>
    messages.flatMap((message) => processSpan(batch, message)?.span ?? []),
  );
  try {
    return await apply();
  } catch (error) {
    for (const span of spans) spanFailed(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}
