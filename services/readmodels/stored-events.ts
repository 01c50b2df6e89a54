import { sql } from 'slonik';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { ProjectedEvent } from './projection.ts';

/** Brings stored event data to the newest schema version of its type (the event store's upcasters). */
export type Upcast = (
  eventType: string,
  schemaVersion: number,
  data: Record<string, unknown>,
) => Record<string, unknown>;

/** An events row as replays select it (STORED_EVENT_COLUMNS over `events e`). */
export interface StoredEventRow {
  readonly tenant_id: string;
  readonly stream_id: string;
  readonly stream_version: number;
  readonly event_id: string;
  readonly event_type: string;
  readonly schema_version: number;
  readonly data: Record<string, unknown>;
  readonly global_position: number;
  readonly transaction_id: string;
  readonly occurred_at: number;
}

// transaction_id is selected as text under its own name: ORDER BY must say
// e.transaction_id, or PostgreSQL sorts the text ('1000' before '999').
export const STORED_EVENT_COLUMNS = sql.fragment`
  e.tenant_id, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data,
  e.global_position, e.transaction_id::text AS transaction_id, e.occurred_at`;

/** A stored event as a projection sees it: at the newest schema version of its type. */
export function projectedEvent(row: StoredEventRow, upcast: Upcast): ProjectedEvent {
  return {
    eventId: row.event_id,
    type: row.event_type,
    tenantId: row.tenant_id as TenantId,
    aggregateId: row.stream_id,
    aggregateVersion: row.stream_version,
    globalPosition: row.global_position,
    occurredAt: new Date(row.occurred_at),
    data: upcast(row.event_type, row.schema_version, row.data),
  };
}
