import type { KafkaMessage } from 'kafkajs';
import type { DatabaseTransactionConnection } from 'slonik';
import { arrayParameter, sql } from '../platform/database/index.ts';
import { type Checkpoint, compareCheckpoints } from '../eventstore/index.ts';
import {
  LIVE,
  type ProjectedEvent,
  type Projection,
  ReadsTogether,
  rememberErasure,
  sendTogether,
  type SharedStatements,
} from '../readmodels/index.ts';
import type { DeadLetters } from './dead-letters.ts';
import { EventDecoder } from './incoming-event.ts';
import { isInfrastructureError } from './infrastructure-errors.ts';
import { openRound, partitionKey, type WatermarkWanted, watermarkKey } from './round-opening.ts';
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
      /** Global positions of the batch's records that the store holds no event at (RecordsNotInStore). */
      readonly notInStore: readonly number[];
    }
  | { readonly kind: 'seek'; readonly offset: number };

/** No checkpoint yet: whatever the consumer group's position is, it is the start. */
const NONE = -1;

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

/** A batch's records still to apply: past its checkpoint and not published again. */
interface FreshRecords {
  readonly batch: PartitionBatch;
  readonly messages: readonly KafkaMessage[];
}

/**
 * The batches' records through the projection's bulk apply (a few statements
 * per table for all of them instead of some per event): how many events it
 * applied, or undefined when they take the handlers one by one (no bulk apply,
 * not optimistic, or the bulk apply declined having written nothing). A
 * refusal loses the transaction, so the caller redoes each batch on its own
 * with savepoints, where the failing event is retried and parked.
 */
async function applyInBulk(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  optimistic: boolean,
  parts: readonly FreshRecords[],
  shared: SharedStatements,
): Promise<number | undefined> {
  const applyMany = projection.applyMany;
  if (!optimistic || !applyMany) return undefined;
  const traced: FreshRecords[] = [];
  const events: ProjectedEvent[] = [];
  for (const { batch, messages: fresh } of parts) {
    const messages: KafkaMessage[] = [];
    for (const message of fresh) {
      const item = batch.decoded.get(message.offset);
      if (item instanceof Error) return undefined;
      if (item && projection.handlers[item.type]) {
        messages.push(message);
        events.push(item);
      }
    }
    traced.push({ batch, messages });
  }
  if (events.length === 0) return 0;
  try {
    const applied = await applyTracedTogether(traced, () => applyMany(tx, events, LIVE, shared));
    return applied ? events.length : undefined;
  } catch (error) {
    if (isInfrastructureError(error)) throw error;
    throw new BatchNeedsSavepoints(`${projection.name} refused the batch in bulk`, { cause: error });
  }
}

/**
 * Partition batches, of one projection or several, in ONE PostgreSQL
 * transaction: the handlers' writes, the parked events' rows, the tenants'
 * watermarks and each partition's checkpoint commit together, so a crash
 * anywhere neither loses nor repeats an event. Records below their checkpoint
 * (redelivered after a crash, or by a rebalance) are skipped. The outcomes
 * are in the batches' order. Batches go together only optimistically; with
 * savepoints, one at a time.
 */
export async function applyPartitionBatches(
  tx: DatabaseTransactionConnection,
  batches: readonly PartitionBatch[],
  retries: HandlerRetries,
  deadLetters: DeadLetters,
): Promise<BatchOutcome[]> {
  const [head] = batches;
  if (!head) return [];
  const optimistic = head.optimistic === true;
  if (batches.some((batch) => (batch.optimistic === true) !== optimistic))
    throw new Error('batches applied together share their optimism');
  if (!optimistic && batches.length > 1) throw new Error('batches with savepoints are applied one at a time');
  // Every record's tenant and position, so the round's opening reads their watermarks with the
  // checkpoints, and where their events stand in the commit order.
  const originOf = new Map<KafkaMessage, ReturnType<typeof EventDecoder.origin>>();
  const wanted = new Map<string, WatermarkWanted>();
  const positions = new Set<number>();
  for (const batch of batches)
    for (const message of batch.messages) {
      const origin = EventDecoder.origin(message);
      originOf.set(message, origin);
      if (origin) {
        positions.add(origin.position);
        const key = watermarkKey(batch.projection.name, origin.tenantId);
        if (!wanted.has(key)) wanted.set(key, { projection: batch.projection.name, tenant: origin.tenantId });
      }
    }
  const {
    checkpoints,
    watermarks: seen,
    erased,
    commitOrder,
  } = await openRound(
    tx,
    batches.map((batch) => ({
      projection: batch.projection.name,
      topic: batch.topic,
      partition: batch.partition,
    })),
    [...wanted.values()],
    [...positions],
  );
  rememberErasure(tx, erased);
  // Only records the round applies: one read again (a rebalance re-fetches past the checkpoint) was counted.
  const notInStore = (messages: readonly KafkaMessage[]) =>
    messages.flatMap((message) => {
      const position = originOf.get(message)?.position;
      return position === undefined || commitOrder.has(position) ? [] : [position];
    });
  const nothingApplied = (next: number): BatchOutcome => ({
    kind: 'applied',
    nextOffset: next,
    applied: 0,
    parked: 0,
    watermarks: new Map(),
    notInStore: [],
  });

  const outcomes: BatchOutcome[] = [];
  const parts: Array<FreshRecords & { readonly outcome: number }> = [];
  for (const batch of batches) {
    const next = checkpoints.get(partitionKey(batch.projection.name, batch.topic, batch.partition)) ?? NONE;
    const fresh = batch.messages.filter((message) => Number(message.offset) >= next);
    const first = fresh[0];
    if (!first) {
      outcomes.push(nothingApplied(next));
    } else if (next !== NONE && Number(first.offset) > next && batch.soughtTo !== next) {
      // The group's committed offset is past our checkpoint (the read models were reset): go back, once.
      outcomes.push({ kind: 'seek', offset: next });
    } else {
      parts.push({ batch, messages: fresh, outcome: outcomes.length });
      outcomes.push(nothingApplied(next));
    }
  }
  if (parts.length === 0) return outcomes;

  const origins = parts.map(({ messages }) => messages.map((message) => originOf.get(message)));
  // A record at or below its tenant's watermark was applied (or parked) already: the same event
  // published again at a later offset (a relay that died between Kafka's acknowledgement and its
  // delete, or a send retried under a new producer; docs/relay.md). Skipped, as docs/contracts.md §8
  // tells every consumer to do: the offset checkpoint alone let a re-published OrderItemAdded add
  // its item twice (found by `make chaos`). Within the batch too, the first occurrence wins.
  const republished = parts.map(({ batch }, part) => {
    const skipped = new Set<number>();
    const theirs = origins[part] ?? [];
    // Indexed loops over records here and below: an entries() iterator made an array per record.
    for (let index = 0; index < theirs.length; index++) {
      const origin = theirs[index];
      const point = origin && commitOrder.get(origin.position);
      if (!origin || !point) continue;
      const key = watermarkKey(batch.projection.name, origin.tenantId);
      const mark = seen.get(key);
      if (mark && compareCheckpoints(point, mark) <= 0) skipped.add(index);
      else seen.set(key, point);
    }
    return skipped;
  });
  // Each projection's records in one bulk apply, all at once: their reads go in one statement, the
  // projections in their names' order (as locked), and their writes, in that order too, with the
  // watermarks and checkpoints in the round's last statement.
  const projections = [...new Set(parts.map(({ batch }) => batch.projection))].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  const reads = new ReadsTogether(tx, projections.length);
  const applies = projections.map((projection, rank) => {
    const shared: SharedStatements = { read: (statement) => reads.read(rank, statement), writes: [] };
    return { projection, shared };
  });
  const settled = await Promise.allSettled(
    applies.map(async ({ projection, shared }) => {
      const its = parts.flatMap(({ batch, messages }, part) =>
        batch.projection === projection
          ? [{ batch, messages: messages.filter((_, index) => !republished[part]?.has(index)) }]
          : [],
      );
      try {
        return await applyInBulk(tx, projection, optimistic, its, shared);
      } finally {
        reads.finished();
      }
    }),
  );
  // Every apply has settled before any error goes up: none still has a statement to send on a
  // transaction its caller would roll back.
  const refused = settled.find((result) => result.status === 'rejected');
  if (refused) throw refused.reason;
  const inBulk = new Map(
    applies.map(({ projection }, rank) => {
      const result = settled[rank];
      return [projection, result?.status === 'fulfilled' ? result.value : undefined];
    }),
  );
  const deferred = applies.flatMap(({ shared }) => shared.writes);

  const watermarks = new Map<
    string,
    { projection: string; tenant: string; transactionId: string; position: number }
  >();
  const checkpointed: Array<{ projection: string; topic: string; partition: number; nextOffset: number }> =
    [];
  for (const [part, { batch, messages: fresh, outcome }] of parts.entries()) {
    const { projection } = batch;
    const bulk = inBulk.get(projection) !== undefined;
    let applied = 0;
    let parked = 0;
    const batchWatermarks = new Map<string, Checkpoint>();
    const skipped = republished[part];
    for (let index = 0; index < fresh.length; index++) {
      const message = fresh[index];
      if (!message || skipped?.has(index)) continue;
      const item = batch.decoded.get(message.offset);
      let failure: Error | undefined;
      let attempts = 1;
      if (item instanceof Error) failure = item;
      else if (item && bulk) {
        if (projection.handlers[item.type]) applied++;
      } else if (item) {
        failure = await applyTraced(batch, message, () => applyWithRetries(tx, batch, item, retries));
        attempts = projection.handlers[item.type] ? retries.attempts : 1;
        if (!failure) applied++;
      }
      if (failure) {
        await deadLetters.park(tx, {
          projection: projection.name,
          topic: batch.topic,
          partition: batch.partition,
          message,
          error: failure,
          attempts,
        });
        parked++;
      }
      // Parked or applied, the projection is past it: the watermark moves on either way.
      const origin = origins[part]?.[index];
      const point = origin && commitOrder.get(origin.position);
      if (origin && point) batchWatermarks.set(origin.tenantId, point);
    }
    for (const [tenant, mark] of batchWatermarks) {
      // A projection reading two topics may meet a tenant in both: its watermark is the later.
      const key = watermarkKey(projection.name, tenant);
      const other = watermarks.get(key);
      if (!other || compareCheckpoints(mark, other) > 0)
        watermarks.set(key, { projection: projection.name, tenant, ...mark });
    }
    const nextOffset = Number(fresh.at(-1)?.offset) + 1;
    checkpointed.push({
      projection: projection.name,
      topic: batch.topic,
      partition: batch.partition,
      nextOffset,
    });
    outcomes[outcome] = {
      kind: 'applied',
      nextOffset,
      applied,
      parked,
      watermarks: batchWatermarks,
      notInStore: notInStore(fresh),
    };
  }

  // The bulk applies' writes, the watermarks and the checkpoints in one statement (one round trip),
  // in the batches' transaction.
  const marks = [...watermarks.values()];
  const marked = sql.fragment`
    INSERT INTO readmodels.watermarks AS w (projection, tenant_id, transaction_id, global_position)
    SELECT projection, tenant, xid::xid8, position
      FROM unnest(${arrayParameter(
        marks.map((mark) => mark.projection),
        'text',
      )}, ${arrayParameter(
        marks.map((mark) => mark.tenant),
        'uuid',
      )}, ${arrayParameter(
        marks.map((mark) => mark.transactionId),
        'text',
      )}, ${arrayParameter(
        marks.map((mark) => mark.position),
        'int8',
      )}) AS mark (projection, tenant, xid, position)
    ON CONFLICT (projection, tenant_id) DO UPDATE
      SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
      WHERE (w.transaction_id, w.global_position) < (EXCLUDED.transaction_id, EXCLUDED.global_position)`;
  const moved = sql.fragment`
    UPDATE readmodels.checkpoints AS c SET next_offset = moved.next_offset, updated_at = now()
      FROM unnest(${arrayParameter(
        checkpointed.map((at) => at.projection),
        'text',
      )}, ${arrayParameter(
        checkpointed.map((at) => at.topic),
        'text',
      )}, ${arrayParameter(
        checkpointed.map((at) => at.partition),
        'int4',
      )}, ${arrayParameter(
        checkpointed.map((at) => at.nextOffset),
        'int8',
      )}) AS moved (projection, topic, partition, next_offset)
     WHERE (c.projection, c.topic, c.partition) = (moved.projection, moved.topic, moved.partition)`;
  try {
    await sendTogether(tx, [...deferred, marked, moved]);
  } catch (error) {
    // A refused bulk write loses the transaction, as a refusal inside the bulk apply does.
    if (deferred.length === 0 || isInfrastructureError(error)) throw error;
    throw new BatchNeedsSavepoints("a bulk apply's write was refused", { cause: error });
  }
  return outcomes;
}
