import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { Checkpoint } from '../eventstore/index.ts';
import { arrayParameter, sql } from '../platform/database/index.ts';

/** A partition a round applies records of, for one projection. */
export interface RoundPartition {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
}

/** A (projection, tenant) pair whose watermark the round compares its records with. */
export interface WatermarkWanted {
  readonly projection: string;
  readonly tenant: string;
}

export interface OpenedRound {
  /** Each partition's next offset to apply (-1: none yet), by partitionKey; its row locked. */
  readonly checkpoints: Map<string, number>;
  /** The last (transaction id, position) each (projection, tenant) applied or parked, by watermarkKey. */
  readonly watermarks: Map<string, Checkpoint>;
  /** Which of the wanted tenants' read models were erased; each of them is locked shared. */
  readonly erased: ReadonlyMap<string, boolean>;
  /** Where the events at the positions asked for stand in the commit order; a position of no event is absent. */
  readonly commitOrder: ReadonlyMap<number, Checkpoint>;
}

export const partitionKey = (projection: string, topic: string, partition: number) =>
  `${projection}|${topic}:${partition}`;

export const watermarkKey = (projection: string, tenant: string) => `${projection}|${tenant}`;

const openingRow = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('checkpoint'),
    projection: z.string(),
    topic: z.string(),
    partition: z.number(),
    next_offset: z.number(),
  }),
  z.object({
    kind: z.literal('watermark'),
    projection: z.string(),
    tenant_id: z.string(),
    transaction_id: z.string(),
    global_position: z.number(),
  }),
  z.object({ kind: z.literal('erased'), tenant_id: z.string() }),
  z.object({ kind: z.literal('position'), transaction_id: z.string(), global_position: z.number() }),
]);

/**
 * Opens a live round's transaction in one statement
 * (readmodels.open_live_round, migrations 1009 to 1011): the projections'
 * swap locks shared, the partitions' checkpoints locked (made when missing),
 * the watermarks wanted, the wanted tenants' read-model locks shared with
 * whether each was erased, and where the records' events stand in the commit
 * order. Before anything is written, so a rebuild's swap sees no round half done.
 * The transaction then commits without waiting for its WAL flush: a PostgreSQL
 * crash loses such a round whole, and it is applied again (docs/projector.md).
 */
export async function openRound(
  tx: DatabaseTransactionConnection,
  partitions: readonly RoundPartition[],
  wanted: readonly WatermarkWanted[],
  positions: readonly number[],
): Promise<OpenedRound> {
  const rows = await tx.any(sql.type(openingRow)`
    SELECT kind, projection, topic, partition, next_offset, tenant_id::text AS tenant_id, transaction_id,
           global_position
      FROM readmodels.open_live_round(${arrayParameter(
        partitions.map((key) => key.projection),
        'text',
      )}, ${arrayParameter(
        partitions.map((key) => key.topic),
        'text',
      )}, ${arrayParameter(
        partitions.map((key) => key.partition),
        'int4',
      )}, ${arrayParameter(
        wanted.map((key) => key.projection),
        'text',
      )}, ${arrayParameter(
        wanted.map((key) => key.tenant),
        'uuid',
      )}, ${arrayParameter([...positions], 'int8')})`);
  const checkpoints = new Map<string, number>();
  const watermarks = new Map<string, Checkpoint>();
  const erased = new Map(wanted.map(({ tenant }) => [tenant, false]));
  const commitOrder = new Map<number, Checkpoint>();
  for (const row of rows) {
    if (row.kind === 'position')
      commitOrder.set(row.global_position, {
        transactionId: row.transaction_id,
        position: row.global_position,
      });
    else if (row.kind === 'checkpoint')
      checkpoints.set(partitionKey(row.projection, row.topic, row.partition), row.next_offset);
    else if (row.kind === 'watermark')
      watermarks.set(watermarkKey(row.projection, row.tenant_id), {
        transactionId: row.transaction_id,
        position: row.global_position,
      });
    else erased.set(row.tenant_id, true);
  }
  return { checkpoints, watermarks, erased, commitOrder };
}
