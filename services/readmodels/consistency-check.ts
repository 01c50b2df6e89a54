import { type DatabasePool, type DatabaseTransactionConnection, sql } from 'slonik';
import type { TenantId } from '../platform/tenancy/index.ts';
import { LIVE, type Projection, type ProjectedEvent, type ReadModelTarget, tableIn } from './projection.ts';

/** Brings stored event data to the newest schema version of its type (the event store's upcasters). */
export type Upcast = (
  eventType: string,
  schemaVersion: number,
  data: Record<string, unknown>,
) => Record<string, unknown>;

export interface TableComparison {
  readonly table: string;
  /** Rows the replay produced that the live table lacks (or holds differently). */
  readonly missing: number;
  /** Rows the live table holds that the replay did not produce. */
  readonly unexpected: number;
  /** A few of the differing rows, for the operator to read. */
  readonly samples: readonly unknown[];
}

export interface ConsistencyReport {
  readonly projection: string;
  readonly consistent: boolean;
  /** Events the replay applied: each tenant's, up to that tenant's watermark. */
  readonly eventsReplayed: number;
  readonly tables: readonly TableComparison[];
}

interface StoredEventRow {
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

const PAGE = 5_000;
const SCRATCH: ReadModelTarget = { schema: 'pg_temp' };

async function replay(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  upcast: Upcast,
): Promise<number> {
  const types = Object.keys(projection.handlers);
  let after = { transactionId: '0', position: 0 };
  let replayed = 0;
  for (;;) {
    // Each tenant up to its watermark (what the live model has applied), skipping
    // what the projection parked: exactly the events the live rows reflect.
    const rows = (await tx.any(sql.unsafe`
      SELECT e.tenant_id, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data,
             e.global_position, e.transaction_id::text AS transaction_id, e.occurred_at
        FROM events e
        JOIN readmodels.watermarks w ON w.projection = ${projection.name} AND w.tenant_id = e.tenant_id
       WHERE (e.transaction_id, e.global_position) <= (w.transaction_id, w.global_position)
         AND (e.transaction_id, e.global_position) > (${after.transactionId}::xid8, ${after.position}::bigint)
         AND e.event_type = ANY(${sql.array(types, 'text')})
         AND NOT EXISTS (SELECT FROM readmodels.dead_letters d
                          WHERE d.projection = ${projection.name} AND d.event_id = e.event_id)
       ORDER BY e.transaction_id, e.global_position
       LIMIT ${PAGE}`)) as readonly StoredEventRow[];
    for (const row of rows) {
      const event: ProjectedEvent = {
        eventId: row.event_id,
        type: row.event_type,
        tenantId: row.tenant_id as TenantId,
        aggregateId: row.stream_id,
        aggregateVersion: row.stream_version,
        globalPosition: row.global_position,
        occurredAt: new Date(row.occurred_at),
        data: upcast(row.event_type, row.schema_version, row.data),
      };
      await projection.handlers[row.event_type]?.(tx, event, SCRATCH);
    }
    replayed += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return replayed;
    after = { transactionId: last.transaction_id, position: last.global_position };
  }
}

async function compare(tx: DatabaseTransactionConnection, table: string): Promise<TableComparison> {
  const live = tableIn(LIVE, table);
  const scratch = tableIn(SCRATCH, table);
  const missing = (await tx.any(sql.unsafe`
    SELECT to_jsonb(d) AS row FROM (SELECT * FROM ${scratch} EXCEPT ALL SELECT * FROM ${live}) d`)) as readonly {
    row: unknown;
  }[];
  const unexpected = (await tx.any(sql.unsafe`
    SELECT to_jsonb(d) AS row FROM (SELECT * FROM ${live} EXCEPT ALL SELECT * FROM ${scratch}) d`)) as readonly {
    row: unknown;
  }[];
  return {
    table,
    missing: missing.length,
    unexpected: unexpected.length,
    samples: [
      ...missing.slice(0, 3).map(({ row }) => ({ missing: row })),
      ...unexpected.slice(0, 3).map(({ row }) => ({ unexpected: row })),
    ],
  };
}

/**
 * The consistency check: replays the event store into scratch copies of the
 * projection's tables and compares them with the live ones, row for row. Runs
 * in one repeatable-read transaction as the schema owner (it reads every
 * tenant), so a projector committing meanwhile changes neither side: the
 * watermarks and the rows it compares were committed together.
 */
export async function checkConsistency(
  ownerPool: DatabasePool,
  projection: Projection,
  upcast: Upcast,
): Promise<ConsistencyReport> {
  return ownerPool.transaction(async (tx) => {
    await tx.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    for (const table of projection.tables) {
      await tx.query(sql.unsafe`
        CREATE TEMP TABLE ${sql.identifier([table])} (LIKE ${tableIn(LIVE, table)} INCLUDING ALL) ON COMMIT DROP`);
    }
    const eventsReplayed = await replay(tx, projection, upcast);
    const tables: TableComparison[] = [];
    for (const table of projection.tables) tables.push(await compare(tx, table));
    return {
      projection: projection.name,
      consistent: tables.every((table) => table.missing === 0 && table.unexpected === 0),
      eventsReplayed,
      tables,
    };
  });
}
