import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { Checkpoint } from './records.ts';
import { checkpointRow } from './rows.ts';

/**
 * One tenant's history as a restored copy of the store holds it, read before
 * the live store is touched: slonik runs no query of another pool inside a
 * transaction, and the copy may be slow or far away.
 */
export interface TenantHistory {
  readonly tenant: TenantId;
  /** The point in time recovered to (ISO 8601 text, to the microsecond): `--as-of`, or the copy's newest event. Null: the copy holds no event. */
  readonly asOf: string | null;
  /** The tenant's events up to asOf, in commit order, as JSON arrays of events rows. */
  readonly eventPages: readonly string[];
  readonly events: number;
  /** Its snapshots in the copy, as one JSON array of snapshots rows. */
  readonly snapshots: string;
}

export interface HistoryScope {
  /** Recover up to this moment (events recorded at or before it); undefined: all the copy holds. */
  readonly asOf?: Date;
  /** Streams of these types stay as the live store has them (the tenant's own lifecycle stream). */
  readonly keepStreamTypes: readonly string[];
}

export interface TenantReplacement {
  /** The tenant's newest event before the replacement, in commit order: consumers may have seen up to it. */
  readonly newestBefore: Checkpoint | null;
  readonly events: { readonly kept: number; readonly withdrawn: number; readonly restored: number };
  /** The positions of the events withdrawn, for the outbox to drop theirs. */
  readonly withdrawnPositions: readonly number[];
  readonly streams: number;
  readonly snapshots: number;
}

const PAGE = 5_000;

const pageRow = z.object({
  rows: z.string().nullable(),
  count: z.number(),
  last_transaction_id: z.string().nullable(),
  last_position: z.number().nullable(),
});

/** The tenant's history in `source` (a restored copy of the store, read as its owner). */
export async function readTenantHistory(
  source: DatabasePool,
  tenant: TenantId,
  scope: HistoryScope,
): Promise<TenantHistory> {
  // As text: a timestamptz read as a number would lose its microseconds, and with them the newest events.
  const asOf =
    scope.asOf?.toISOString() ??
    (await source.oneFirst(sql.type(z.object({ newest: z.string().nullable() }))`
      SELECT to_char(max(recorded_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS newest FROM events`));
  const eventPages: string[] = [];
  let events = 0;
  let after: Checkpoint = { transactionId: '0', position: 0 };
  for (;;) {
    const page = await source.one(sql.type(pageRow)`
      WITH page AS (
        SELECT e.*, e.transaction_id AS xid FROM events e
         WHERE e.tenant_id = ${tenant}
           AND e.stream_type <> ALL(${sql.array([...scope.keepStreamTypes], 'text')})
           AND e.recorded_at <= ${asOf}::timestamptz
           AND (e.transaction_id, e.global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
         ORDER BY e.transaction_id, e.global_position
         LIMIT ${PAGE}
      ), last AS (SELECT xid, global_position FROM page ORDER BY xid DESC, global_position DESC LIMIT 1)
      SELECT (SELECT json_agg(to_jsonb(p) - 'xid')::text FROM page p) AS rows,
             (SELECT count(*)::int FROM page) AS count,
             (SELECT xid::text FROM last) AS last_transaction_id,
             (SELECT global_position FROM last) AS last_position`);
    if (page.rows === null || page.last_transaction_id === null || page.last_position === null) break;
    eventPages.push(page.rows);
    after = { transactionId: page.last_transaction_id, position: page.last_position };
    events += page.count;
  }
  const snapshots = await source.oneFirst(sql.type(z.object({ rows: z.string() }))`
    SELECT coalesce(json_agg(s), '[]')::text AS rows FROM snapshots s
     WHERE s.tenant_id = ${tenant} AND s.stream_type <> ALL(${sql.array([...scope.keepStreamTypes], 'text')})`);
  return { tenant, asOf, eventPages, events, snapshots };
}

/**
 * Holds the tenant's write lock for the rest of the transaction: its appends,
 * which hold it shared from their first write (migration 0026), are refused
 * until the transaction ends. Waits for the appends in flight to end. Then
 * records this transaction's id, taken after the lock: appends of the tenant
 * from older transactions stay refused after the commit (migration 0028), as
 * their cursors would fall below the watermarks the recovery raises.
 */
export async function lockTenantWrites(tx: DatabaseTransactionConnection, tenant: TenantId): Promise<void> {
  await tx.query(sql.typeAlias('void')`SELECT pg_advisory_xact_lock(tenant_write_lock_key(${tenant}))`);
  await tx.query(sql.typeAlias('void')`
    INSERT INTO tenant_recoveries (tenant_id, transaction_id) VALUES (${tenant}, pg_current_xact_id())
    ON CONFLICT (tenant_id) DO UPDATE SET transaction_id = EXCLUDED.transaction_id, recovered_at = now()`);
}

/**
 * Makes the tenant's events, streams and snapshots (but those of the kept
 * stream types) what `history` holds, in the caller's transaction, which must
 * hold the tenant's write lock and run as the schema owner. Events in both stay
 * as they are; events only the live store has are withdrawn (deleted, and
 * their places kept in events_withdrawn); events only the copy has are put
 * back with their own positions and transaction ids.
 */
export async function replaceTenantHistory(
  tx: DatabaseTransactionConnection,
  history: TenantHistory,
  scope: HistoryScope,
): Promise<TenantReplacement> {
  const { tenant } = history;
  const keep = sql.array([...scope.keepStreamTypes], 'text');
  const newest = await tx.maybeOne(sql.type(checkpointRow)`
    SELECT transaction_id::text AS transaction_id, global_position FROM events
     WHERE tenant_id = ${tenant}
     ORDER BY transaction_id DESC, global_position DESC LIMIT 1`);
  await tx.query(sql.typeAlias('void')`
    SELECT set_config('eventline.recovering_tenant', ${tenant}, true)`);
  await tx.query(sql.typeAlias('void')`
    CREATE TEMP TABLE recovered_events (LIKE events) ON COMMIT DROP`);
  for (const page of history.eventPages) {
    await tx.query(sql.typeAlias('void')`
      INSERT INTO recovered_events
      SELECT * FROM jsonb_populate_recordset(NULL::recovered_events, ${page}::jsonb)`);
  }
  // Put back hot (docs/archiving.md): their streams take versions from the copy, and a copy
  // taken before events were partitioned has no archived column.
  await tx.query(sql.typeAlias('void')`UPDATE recovered_events SET archived = false`);
  await tx.query(sql.typeAlias('void')`CREATE INDEX ON recovered_events (event_id)`);
  await tx.query(sql.typeAlias('void')`ANALYZE recovered_events`);

  const withdrawn = await tx.anyFirst(sql.type(z.object({ global_position: z.number() }))`
    WITH gone AS (
      DELETE FROM events e
       WHERE e.tenant_id = ${tenant} AND e.stream_type <> ALL(${keep})
         AND NOT EXISTS (SELECT FROM recovered_events r WHERE r.event_id = e.event_id)
      RETURNING e.tenant_id, e.event_id, e.global_position, e.transaction_id
    )
    INSERT INTO events_withdrawn (tenant_id, event_id, global_position, transaction_id)
    SELECT tenant_id, event_id, global_position, transaction_id FROM gone
    ON CONFLICT DO NOTHING
    RETURNING global_position`);
  const restored = await tx.oneFirst(sql.type(z.object({ count: z.number() }))`
    WITH added AS (
      INSERT INTO events OVERRIDING SYSTEM VALUE
      SELECT r.* FROM recovered_events r
       WHERE r.tenant_id = ${tenant}
         AND NOT EXISTS (SELECT FROM events e WHERE e.event_id = r.event_id AND e.tenant_id = r.tenant_id)
      RETURNING event_id
    ), back AS (
      DELETE FROM events_withdrawn w USING added a WHERE w.tenant_id = ${tenant} AND w.event_id = a.event_id
    )
    SELECT count(*)::int AS count FROM added`);

  await tx.query(sql.typeAlias('void')`
    DELETE FROM streams s
     WHERE s.tenant_id = ${tenant} AND s.stream_type <> ALL(${keep})
       AND NOT EXISTS (SELECT FROM recovered_events r WHERE r.stream_id = s.stream_id)`);
  const streams = await tx.oneFirst(sql.type(z.object({ count: z.number() }))`
    WITH kept AS (
      INSERT INTO streams AS s (tenant_id, stream_id, stream_type, version, created_at, updated_at)
      SELECT ${tenant}, r.stream_id, min(r.stream_type), max(r.stream_version), min(r.recorded_at), max(r.recorded_at)
        FROM recovered_events r GROUP BY r.stream_id
      ON CONFLICT (tenant_id, stream_id) DO UPDATE
        SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM kept`);

  // A snapshot is of one version: kept while that version is still the stream's or older.
  await tx.query(sql.typeAlias('void')`
    DELETE FROM snapshots WHERE tenant_id = ${tenant} AND stream_type <> ALL(${keep})`);
  const snapshots = await tx.oneFirst(sql.type(z.object({ count: z.number() }))`
    WITH put AS (
      INSERT INTO snapshots
      SELECT c.* FROM jsonb_populate_recordset(NULL::snapshots, ${history.snapshots}::jsonb) c
        JOIN streams s ON s.tenant_id = c.tenant_id AND s.stream_id = c.stream_id
       WHERE c.tenant_id = ${tenant} AND c.stream_version <= s.version
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM put`);

  return {
    newestBefore: newest ? { transactionId: newest.transaction_id, position: newest.global_position } : null,
    events: { kept: history.events - restored, withdrawn: withdrawn.length, restored },
    withdrawnPositions: withdrawn,
    streams,
    snapshots,
  };
}
