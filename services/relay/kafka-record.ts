import type { IHeaders, Message } from 'kafkajs';
import { eventCursor } from '../eventstore/index.ts';
import type { OutboxEntry } from '../outbox/index.ts';

/**
 * The Kafka record of an outbox entry: key = tenant id (so the Java-compatible
 * partitioner keeps a tenant in one partition), the Avro value, and the headers
 * of docs/contracts.md §8. A header without a value (no causation) is sent empty
 * rather than left out, so every record carries the same set.
 */
export function kafkaRecord(entry: OutboxEntry, value: Buffer): Message {
  const headers: IHeaders = {
    'event-id': entry.eventId,
    'event-type': entry.eventType,
    'event-schema-version': String(entry.schemaVersion),
    'aggregate-type': entry.streamType,
    'aggregate-id': entry.streamId,
    'aggregate-version': String(entry.streamVersion),
    'tenant-id': entry.tenantId,
    'global-position': String(entry.position),
    'correlation-id': entry.correlationId ?? '',
    'causation-id': entry.causationId ?? '',
    'occurred-at': new Date(entry.occurredAtMs).toISOString(),
    // The store's commit order, which the relay keeps per tenant: what consumers checkpoint by.
    'event-cursor': eventCursor({ transactionId: entry.transactionId, position: entry.position }),
  };
  const traceparent = entry.metadata.traceparent;
  if (typeof traceparent === 'string' && traceparent !== '') headers.traceparent = traceparent;
  return { key: entry.tenantId, value, headers };
}

/** Roughly what a record costs on the wire, to keep one produce request under the broker's size limit. */
export function recordBytes(message: Message): number {
  let bytes = 64 + (message.value instanceof Buffer ? message.value.length : 0);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += name.length + (typeof value === 'string' ? value.length : 0) + 8;
  }
  return bytes;
}
