import { z } from 'zod';
import type { EventSchemas } from '../avro/index.ts';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { EventId, StreamId } from './ids.ts';
import type { EventMetadata, RecordedEvent, ReplayedEvent } from './records.ts';
import type { Upcasters } from './upcasters.ts';

// A jsonb object as it arrives: checked to be an object without copying its
// keys (z.record walks every one, which costs more than the rest of a row).
const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'a JSON object',
);

/** An events row as replays select it (slonik parses timestamptz to epoch milliseconds). */
export const replayedRow = z.object({
  tenant_id: z.string(),
  stream_id: z.string(),
  stream_type: z.string(),
  stream_version: z.number(),
  event_id: z.string(),
  event_type: z.string(),
  schema_version: z.number(),
  data: jsonObject,
  global_position: z.number(),
  transaction_id: z.string(),
  occurred_at: z.number(),
});

/** An events row as the other queries select it: with its metadata and when it was recorded. */
export const eventRow = replayedRow.extend({ metadata: jsonObject, recorded_at: z.number() });

type ReplayedRow = z.infer<typeof replayedRow>;
export type EventRow = z.infer<typeof eventRow>;

// The select lists matching the rows over `events e`, kept beside them so the two cannot drift.
// transaction_id is selected as text under its own name, so an ORDER BY must say
// e.transaction_id: unqualified it means the text, which sorts '1000' before '999'.
export const REPLAYED_COLUMNS = sql.fragment`e.tenant_id, e.stream_id, e.stream_type, e.stream_version,
  e.event_id, e.event_type, e.schema_version, e.data, e.global_position,
  e.transaction_id::text AS transaction_id, e.occurred_at`;
export const EVENT_COLUMNS = sql.fragment`${REPLAYED_COLUMNS}, e.metadata, e.recorded_at`;

/** A point of the commit order as selected: the transaction id as text (xid8 has no JSON form). */
export const checkpointRow = z.object({ transaction_id: z.string(), global_position: z.number() });

/** Reads stored events as the newest schema versions describe them. */
export class EventReader {
  constructor(
    private readonly schemas: EventSchemas,
    private readonly upcasters: Upcasters,
  ) {}

  toReplayed(row: ReplayedRow): ReplayedEvent {
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
      globalPosition: row.global_position,
      transactionId: row.transaction_id,
      occurredAt: new Date(row.occurred_at),
    };
  }

  toRecorded(row: EventRow): RecordedEvent {
    return {
      ...this.toReplayed(row),
      metadata: row.metadata as unknown as EventMetadata & { tenantId: TenantId },
      recordedAt: new Date(row.recorded_at),
    };
  }
}
