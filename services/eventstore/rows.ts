import { sql } from 'slonik';
import type { EventSchemas } from '../avro/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { EventId, StreamId } from './ids.ts';
import type { EventMetadata, RecordedEvent } from './records.ts';
import type { Upcasters } from './upcasters.ts';

/** An events row as the queries select it (slonik parses timestamptz to epoch milliseconds). */
export interface EventRow {
  readonly tenant_id: string;
  readonly stream_id: string;
  readonly stream_type: string;
  readonly stream_version: number;
  readonly event_id: string;
  readonly event_type: string;
  readonly schema_version: number;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly global_position: number;
  readonly transaction_id: string;
  readonly occurred_at: number;
  readonly recorded_at: number;
}

/** The select list matching EventRow, kept beside it so the two cannot drift. */
export const EVENT_COLUMNS = sql.fragment`tenant_id, stream_id, stream_type, stream_version, event_id, event_type,
  schema_version, data, metadata, global_position, transaction_id::text AS transaction_id,
  occurred_at, recorded_at`;

/** Reads stored events as the newest schema versions describe them. */
export class EventReader {
  constructor(
    private readonly schemas: EventSchemas,
    private readonly upcasters: Upcasters,
  ) {}

  toRecorded(row: EventRow): RecordedEvent {
    const current = this.schemas.current(row.event_type).version;
    return {
      tenantId: row.tenant_id as TenantId,
      streamId: row.stream_id as StreamId,
      streamType: row.stream_type,
      streamVersion: row.stream_version,
      eventId: row.event_id as EventId,
      type: row.event_type,
      schemaVersion: current,
      data: this.upcasters.upcast(row.event_type, row.schema_version, row.data, current),
      metadata: row.metadata as unknown as EventMetadata & { tenantId: TenantId },
      globalPosition: row.global_position,
      transactionId: row.transaction_id,
      occurredAt: new Date(row.occurred_at),
      recordedAt: new Date(row.recorded_at),
    };
  }
}
