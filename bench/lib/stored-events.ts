import type { Message } from 'kafkajs';
import { kafkaRecord } from '../../services/relay/index.ts';

/** An events row as a benchmark reads it (the columns STORED_EVENT_COLUMNS selects from `events e`). */
export interface StoredEventRow {
  readonly global_position: string;
  readonly transaction_id: string;
  readonly tenant_id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly schema_version: number;
  readonly stream_type: string;
  readonly stream_id: string;
  readonly stream_version: number;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
  readonly correlation_id: string | null;
  readonly causation_id: string | null;
  readonly occurred_at: Date;
}

export const STORED_EVENT_COLUMNS = `e.global_position, e.transaction_id::text AS transaction_id, e.tenant_id,
  e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id, e.stream_version, e.data,
  e.metadata, e.correlation_id, e.causation_id, e.occurred_at`;

/** The Kafka record the relay publishes for the row, with its Avro value: the relay's own record layout. */
export function recordOfStoredEvent(row: StoredEventRow, value: Buffer): Message {
  return kafkaRecord(
    {
      position: Number(row.global_position),
      transactionId: row.transaction_id,
      tenantId: row.tenant_id,
      context: 'orders',
      lane: 0,
      enqueuedAtMs: 0,
      eventId: row.event_id,
      eventType: row.event_type,
      schemaVersion: row.schema_version,
      streamType: row.stream_type,
      streamId: row.stream_id,
      streamVersion: row.stream_version,
      data: row.data,
      metadata: row.metadata,
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      occurredAtMs: row.occurred_at.getTime(),
    },
    value,
  );
}
