import { z } from 'zod';
import type { EventSchemas } from '../avro/index.ts';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { EventId, StreamId } from './ids.ts';
import type { EventMetadata, RecordedEvent } from './records.ts';
import type { Upcasters } from './upcasters.ts';

// A jsonb object as it arrives: checked to be an object without copying its
// keys (z.record walks every one, which costs more than the rest of a row).
const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'a JSON object',
);

/** An events row as the queries select it (slonik parses timestamptz to epoch milliseconds). */
export const eventRow = z.object({
  tenant_id: z.string(),
  stream_id: z.string(),
  stream_type: z.string(),
  stream_version: z.number(),
  event_id: z.string(),
  event_type: z.string(),
  schema_version: z.number(),
  data: jsonObject,
  metadata: jsonObject,
  global_position: z.number(),
  transaction_id: z.string(),
  occurred_at: z.number(),
  recorded_at: z.number(),
});

export type EventRow = z.infer<typeof eventRow>;

/** The select list matching eventRow over `events e`, kept beside it so the two cannot drift. */
export const EVENT_COLUMNS = sql.fragment`e.tenant_id, e.stream_id, e.stream_type, e.stream_version,
  e.event_id, e.event_type, e.schema_version, e.data, e.metadata, e.global_position,
  e.transaction_id::text AS transaction_id, e.occurred_at, e.recorded_at`;

/** A point of the commit order as selected: the transaction id as text (xid8 has no JSON form). */
export const checkpointRow = z.object({ transaction_id: z.string(), global_position: z.number() });

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
