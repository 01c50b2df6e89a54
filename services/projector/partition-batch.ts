import type { KafkaMessage } from 'kafkajs';
import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { Checkpoint } from '../eventstore/index.ts';
import { sql } from '../platform/database/index.ts';
import { LIVE, type ProjectedEvent, type Projection, shareProjectionTables } from '../readmodels/index.ts';
import type { DeadLetters } from './dead-letters.ts';
import { EventDecoder } from './incoming-event.ts';
import { isInfrastructureError } from './infrastructure-errors.ts';
import { applyTraced, applyTracedTogether } from './traced-apply.ts';

export interface HandlerRetries {
  /** Tries per event before it is parked (1: park at the first failure). */
  readonly attempts: number;
  /** Pause before the second try; it doubles for each later one. */
  readonly delayMs: number;
}

export interface PartitionBatch {
  readonly projection: Projection;
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
  /** Per offset, the decoded event or why the record cannot be read; records of unhandled types are absent. */
  readonly decoded: ReadonlyMap<string, ProjectedEvent | Error>;
  /** Where the records' events stand in the commit order, by global position (the event store's checkpointsOf). */
  readonly commitOrder: ReadonlyMap<number, Checkpoint>;
  /** The checkpoint this partition was last sought to, so a gap the log itself has (retention) is accepted. */
  readonly soughtTo: number | undefined;
  readonly heartbeat: () => Promise<void>;
  /**
   * Apply without a savepoint per event: through the projection's bulk apply
   * when it has one, else handler by handler (two round trips fewer each). A
   * refusal then aborts the whole batch with BatchNeedsSavepoints, and the
   * caller redoes it with them, where a failing event can be retried and parked.
   */
  readonly optimistic?: boolean;
}

/** A handler threw in an optimistic batch: the transaction is lost; redo the batch with savepoints. */
export class BatchNeedsSavepoints extends Error {
  override readonly name = 'BatchNeedsSavepoints';
}

export type BatchOutcome =
  | {
      readonly kind: 'applied';
      readonly nextOffset: number;
      readonly applied: number;
      readonly parked: number;
      /** Per tenant, where this batch left the projection (the query cache's generation). */
      readonly watermarks: ReadonlyMap<string, { transactionId: string; position: number }>;
    }
  | { readonly kind: 'seek'; readonly offset: number };

/** No checkpoint yet: whatever the consumer group's position is, it is the start. */
const NONE = -1;

async function lockCheckpoint(tx: DatabaseTransactionConnection, batch: PartitionBatch): Promise<number> {
  const key = sql.fragment`${batch.projection.name}, ${batch.topic}, ${batch.partition}`;
  const checkpoint = sql.type(z.object({ next_offset: z.number() }))`
    SELECT next_offset FROM readmodels.checkpoints
     WHERE (projection, topic, partition) = (${key}) FOR UPDATE`;
  // Two replicas overlapping in a rebalance serialise on this row, and the second sees the
  // first's checkpoint, so it skips, never repeats. The row exists from a partition's first
  // batch on (one round trip); before that, insert it, then lock it.
  const locked = await tx.maybeOneFirst(checkpoint);
  if (locked !== null) return locked;
  await tx.query(sql.typeAlias('void')`
    INSERT INTO readmodels.checkpoints (projection, topic, partition, next_offset) VALUES (${key}, ${NONE})
    ON CONFLICT DO NOTHING`);
  return tx.oneFirst(checkpoint);
}

const watermarkRow = z.object({
  tenant_id: z.string(),
  transaction_id: z.string(),
  global_position: z.number(),
});

/** Each tenant's watermark in this projection: the last (transaction id, position) it applied or parked. */
async function watermarksOf(
  tx: DatabaseTransactionConnection,
  projection: string,
  tenants: readonly string[],
): Promise<Map<string, { transactionId: bigint; position: number }>> {
  if (tenants.length === 0) return new Map();
  const rows = await tx.any(sql.type(watermarkRow)`
    SELECT tenant_id::text AS tenant_id, transaction_id::text AS transaction_id, global_position
      FROM readmodels.watermarks
     WHERE projection = ${projection} AND tenant_id = ANY(${sql.array([...tenants], 'uuid')})`);
  return new Map(
    rows.map((row) => [
      row.tenant_id,
      { transactionId: BigInt(row.transaction_id), position: row.global_position },
    ]),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Applies one event in a savepoint, retrying with backoff; the last error when every try failed. */
async function applyWithRetries(
  tx: DatabaseTransactionConnection,
  batch: PartitionBatch,
  event: ProjectedEvent,
  retries: HandlerRetries,
): Promise<Error | undefined> {
  const handler = batch.projection.handlers[event.type];
  if (!handler) return undefined;
  if (batch.optimistic) {
    try {
      await handler(tx, event, LIVE);
      return undefined;
    } catch (error) {
      if (isInfrastructureError(error)) throw error;
      throw new BatchNeedsSavepoints(`${event.type} ${event.eventId} failed`, { cause: error });
    }
  }
  let failure: Error | undefined;
  for (let attempt = 1; attempt <= retries.attempts; attempt++) {
    try {
      // A savepoint: a failed try leaves nothing behind, and the batch's other writes stand.
      await tx.transaction((savepoint) => handler(savepoint, event, LIVE));
      return undefined;
    } catch (error) {
      if (isInfrastructureError(error)) throw error;
      failure = error instanceof Error ? error : new Error(String(error));
      if (attempt < retries.attempts) {
        await sleep(retries.delayMs * 2 ** (attempt - 1));
        await batch.heartbeat();
      }
    }
  }
  return failure;
}

/**
 * The whole batch through the projection's bulk apply (a few statements per
 * table instead of some per event): how many events it applied, or undefined
 * when the batch takes the handlers one by one (no bulk apply, not optimistic,
 * or the bulk apply declined having written nothing). A refusal loses the
 * transaction, so the batch is redone with savepoints, where the events are
 * applied one by one and the failing one is retried and parked.
 */
async function applyInBulk(
  tx: DatabaseTransactionConnection,
  batch: PartitionBatch,
  fresh: readonly KafkaMessage[],
): Promise<number | undefined> {
  const applyMany = batch.projection.applyMany;
  if (!batch.optimistic || !applyMany) return undefined;
  const messages: KafkaMessage[] = [];
  const events: ProjectedEvent[] = [];
  for (const message of fresh) {
    const item = batch.decoded.get(message.offset);
    if (item instanceof Error) return undefined;
    if (item && batch.projection.handlers[item.type]) {
      messages.push(message);
      events.push(item);
    }
  }
  if (events.length === 0) return 0;
  try {
    const applied = await applyTracedTogether(batch, messages, () => applyMany(tx, events, LIVE));
    return applied ? events.length : undefined;
  } catch (error) {
    if (isInfrastructureError(error)) throw error;
    throw new BatchNeedsSavepoints(`${batch.projection.name} refused the batch in bulk`, { cause: error });
  }
}

/**
 * One partition batch in ONE PostgreSQL transaction: the handlers' writes, the
 * parked events' rows, the tenants' watermarks and the checkpoint commit
 * together, so a crash anywhere neither loses nor repeats an event. Records
 * below the checkpoint (redelivered after a crash, or by a rebalance) are skipped.
 */
export async function applyPartitionBatch(
  tx: DatabaseTransactionConnection,
  batch: PartitionBatch,
  retries: HandlerRetries,
  deadLetters: DeadLetters,
): Promise<BatchOutcome> {
  // Before anything is written: a rebuild's swap, holding this exclusively, sees no batch half done.
  await shareProjectionTables(tx, batch.projection.name);
  const next = await lockCheckpoint(tx, batch);
  const fresh = batch.messages.filter((message) => Number(message.offset) >= next);
  const first = fresh[0];
  if (!first) return { kind: 'applied', nextOffset: next, applied: 0, parked: 0, watermarks: new Map() };
  // The group's committed offset is past our checkpoint (the read models were reset): go back, once.
  if (next !== NONE && Number(first.offset) > next && batch.soughtTo !== next)
    return { kind: 'seek', offset: next };

  const origins = fresh.map((message) => EventDecoder.origin(message));
  // A record at or below its tenant's watermark was applied (or parked) already: the same event
  // published again at a later offset (a relay that died between Kafka's acknowledgement and its
  // delete, or a send retried under a new producer; docs/relay.md). Skipped, as docs/contracts.md §8
  // tells every consumer to do: the offset checkpoint alone let a re-published OrderItemAdded add
  // its item twice (found by `make chaos`). Within the batch too, the first occurrence wins.
  const seen = await watermarksOf(tx, batch.projection.name, [
    ...new Set(origins.flatMap((origin) => (origin ? [origin.tenantId] : []))),
  ]);
  const republished = new Set<number>();
  for (const [index, origin] of origins.entries()) {
    const transactionId = origin && batch.commitOrder.get(origin.position)?.transactionId;
    if (!origin || transactionId === undefined) continue;
    const cursor = { transactionId: BigInt(transactionId), position: origin.position };
    const mark = seen.get(origin.tenantId);
    if (
      mark &&
      (cursor.transactionId < mark.transactionId ||
        (cursor.transactionId === mark.transactionId && cursor.position <= mark.position))
    ) {
      republished.add(index);
    } else {
      seen.set(origin.tenantId, cursor);
    }
  }
  const watermarks = new Map<string, { transactionId: string; position: number }>();
  const inBulk = await applyInBulk(
    tx,
    batch,
    fresh.filter((_, index) => !republished.has(index)),
  );
  let applied = inBulk ?? 0;
  let parked = 0;
  for (const [index, message] of fresh.entries()) {
    if (republished.has(index)) continue;
    const item = batch.decoded.get(message.offset);
    let failure: Error | undefined;
    let attempts = 1;
    if (item instanceof Error) failure = item;
    else if (item && inBulk === undefined) {
      failure = await applyTraced(batch, message, () => applyWithRetries(tx, batch, item, retries));
      attempts = batch.projection.handlers[item.type] ? retries.attempts : 1;
      if (!failure) applied++;
    }
    if (failure) {
      await deadLetters.park(tx, {
        projection: batch.projection.name,
        topic: batch.topic,
        partition: batch.partition,
        message,
        error: failure,
        attempts,
      });
      parked++;
    }
    // Parked or applied, the projection is past it: the watermark moves on either way.
    const origin = origins[index];
    const transactionId = origin && batch.commitOrder.get(origin.position)?.transactionId;
    if (origin && transactionId)
      watermarks.set(origin.tenantId, { transactionId, position: origin.position });
  }

  const tenants = [...watermarks.keys()];
  const marks = [...watermarks.values()];
  const nextOffset = Number(fresh.at(-1)?.offset ?? first.offset) + 1;
  // The watermarks and the checkpoint in one statement (one round trip), in the batch's transaction.
  await tx.query(sql.typeAlias('void')`
    WITH marked AS (
      INSERT INTO readmodels.watermarks AS w (projection, tenant_id, transaction_id, global_position)
      SELECT ${batch.projection.name}, tenant, xid::xid8, position
        FROM unnest(${sql.array(tenants, 'uuid')}, ${sql.array(
          marks.map((mark) => mark.transactionId),
          'text',
        )}, ${sql.array(
          marks.map((mark) => mark.position),
          'int8',
        )}) AS mark (tenant, xid, position)
      ON CONFLICT (projection, tenant_id) DO UPDATE
        SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
        WHERE (w.transaction_id, w.global_position) < (EXCLUDED.transaction_id, EXCLUDED.global_position)
    )
    UPDATE readmodels.checkpoints SET next_offset = ${nextOffset}, updated_at = now()
     WHERE (projection, topic, partition) = (${batch.projection.name}, ${batch.topic}, ${batch.partition})`);
  return { kind: 'applied', nextOffset, applied, parked, watermarks };
}
