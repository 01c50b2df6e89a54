import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { type Checkpoint, compareCheckpoints, type EventStore, START } from '../eventstore/index.ts';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { type ReplayRanges, replayWindow } from './event-replay.ts';
import { LIVE, type Projection, type ReadModelTarget, tableIn } from './projection.ts';

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

const watermarkRow = z.object({
  tenant_id: z.string(),
  transaction_id: z.string(),
  global_position: z.number(),
});

/** Each tenant from its start up to its watermark: what the live model has applied. */
async function appliedRanges(
  tx: DatabaseTransactionConnection,
  projection: Projection,
): Promise<ReplayRanges> {
  const rows = await tx.any(sql.type(watermarkRow)`
    SELECT tenant_id, transaction_id::text AS transaction_id, global_position FROM readmodels.watermarks
     WHERE projection = ${projection.name}`);
  return new Map(
    rows.map((row) => [
      row.tenant_id as TenantId,
      { after: START, upTo: { transactionId: row.transaction_id, position: row.global_position } },
    ]),
  );
}

/**
 * Replays into the scratch tables exactly the events the live rows reflect:
 * each tenant's up to its watermark, in the order the live projection applied
 * them (event-replay.ts), one window of the commit order at a time.
 */
async function replay(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  events: EventStore,
): Promise<number> {
  const ranges = await appliedRanges(tx, projection);
  const end = [...ranges.values()].reduce<Checkpoint>(
    (last, range) => (compareCheckpoints(range.upTo, last) > 0 ? range.upTo : last),
    START,
  );
  let replayed = 0;
  for (let after: Checkpoint | undefined = START; after;) {
    const window = await replayWindow(tx, events, projection, ranges, { after, upTo: end, size: PAGE });
    for (const event of window.events) await projection.handlers[event.type]?.(tx, event, SCRATCH);
    replayed += window.events.length;
    after = window.next;
  }
  return replayed;
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
 * watermarks and the rows it compares were committed together. `events` is a
 * store that reads every tenant (the owner's), read in that same transaction.
 */
export async function checkConsistency(
  ownerPool: DatabasePool,
  projection: Projection,
  events: EventStore,
): Promise<ConsistencyReport> {
  return ownerPool.transaction(async (tx) => {
    await tx.query(sql.typeAlias('void')`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    for (const table of projection.tables) {
      await tx.query(sql.typeAlias('void')`
        CREATE TEMP TABLE ${sql.identifier([table])} (LIKE ${tableIn(LIVE, table)} INCLUDING ALL) ON COMMIT DROP`);
    }
    const eventsReplayed = await replay(tx, projection, events);
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
