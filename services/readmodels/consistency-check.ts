import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import { LIVE, type Projection, type ReadModelTarget, tableIn } from './projection.ts';
import { projectedEvent, STORED_EVENT_COLUMNS, type StoredEventRow, type Upcast } from './stored-events.ts';

export type { Upcast } from './stored-events.ts';

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

const PAGE = 5_000;
const SCRATCH: ReadModelTarget = { schema: 'pg_temp' };

async function replay(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  upcast: Upcast,
): Promise<number> {
  const types = Object.keys(projection.handlers);
  let after = { transactionId: '0', position: 0, replayed: 0, event: 0 };
  let replayed = 0;
  for (;;) {
    // Each tenant up to its watermark (what the live model has applied), skipping
    // what the projection parked: exactly the events the live rows reflect. A parked
    // event `eventline dlq replay` applied later comes right after the watermark
    // its tenant had then, where it took effect in the live model.
    const rows = (await tx.any(sql.unsafe`
      SELECT * FROM (
        SELECT ${STORED_EVENT_COLUMNS}, e.transaction_id AS anchor_transaction_id, e.global_position AS anchor_position, 0 AS replayed
          FROM events e
          JOIN readmodels.watermarks w ON w.projection = ${projection.name} AND w.tenant_id = e.tenant_id
         WHERE (e.transaction_id, e.global_position) <= (w.transaction_id, w.global_position)
           AND e.event_type = ANY(${sql.array(types, 'text')})
           AND NOT EXISTS (SELECT FROM readmodels.dead_letters d
                            WHERE d.projection = ${projection.name} AND d.event_id = e.event_id)
        UNION ALL
        SELECT ${STORED_EVENT_COLUMNS},
               coalesce(d.replayed_after_transaction_id, '0'::xid8), coalesce(d.replayed_after_position, 0), 1
          FROM readmodels.dead_letters d
          JOIN events e ON e.tenant_id = d.tenant_id AND e.event_id = d.event_id
         WHERE d.projection = ${projection.name} AND d.replayed_at IS NOT NULL
           AND e.event_type = ANY(${sql.array(types, 'text')})
      ) stream
       WHERE (anchor_transaction_id, anchor_position, replayed, global_position)
           > (${after.transactionId}::xid8, ${after.position}::bigint, ${after.replayed}, ${after.event}::bigint)
       ORDER BY anchor_transaction_id, anchor_position, replayed, global_position
       LIMIT ${PAGE}`)) as readonly (StoredEventRow & {
      anchor_transaction_id: string;
      anchor_position: number;
      replayed: number;
    })[];
    for (const row of rows) {
      await projection.handlers[row.event_type]?.(tx, projectedEvent(row, upcast), SCRATCH);
    }
    replayed += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return replayed;
    after = {
      transactionId: last.anchor_transaction_id,
      position: last.anchor_position,
      replayed: last.replayed,
      event: last.global_position,
    };
  }
}

/** A differing row, whatever table it is of: as JSON, for the operator to read. */
const differingRow = z.object({ row: z.unknown() });

async function compare(tx: DatabaseTransactionConnection, table: string): Promise<TableComparison> {
  const live = tableIn(LIVE, table);
  const scratch = tableIn(SCRATCH, table);
  const missing = await tx.any(sql.type(differingRow)`
    SELECT to_jsonb(d) AS row FROM (SELECT * FROM ${scratch} EXCEPT ALL SELECT * FROM ${live}) d`);
  const unexpected = await tx.any(sql.type(differingRow)`
    SELECT to_jsonb(d) AS row FROM (SELECT * FROM ${live} EXCEPT ALL SELECT * FROM ${scratch}) d`);
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
    await tx.query(sql.typeAlias('void')`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    for (const table of projection.tables) {
      await tx.query(sql.typeAlias('void')`
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
