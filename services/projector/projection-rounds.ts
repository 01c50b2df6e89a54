import type { IPolicy } from 'cockatiel';
import type { EachBatchPayload } from 'kafkajs';
import type { DatabasePool } from 'slonik';
import type { Projection } from '../readmodels/index.ts';
import { BatchRounds } from './batch-rounds.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { DecodedRecord } from './decoded-records.ts';
import {
  applyPartitionBatches,
  BatchNeedsSavepoints,
  type BatchOutcome,
  type HandlerRetries,
  type PartitionBatch,
} from './partition-batch.ts';

/** A partition batch of one projection, decoded, waiting for its round. */
export interface HandedOver {
  readonly payload: EachBatchPayload;
  readonly projection: Projection;
  /** The checkpoint this partition was last sought to (PartitionBatch.soughtTo). */
  readonly soughtTo: number | undefined;
  readonly decoded: ReadonlyMap<string, DecodedRecord>;
}

export type RoundOutcome =
  | {
      readonly kind: 'done';
      readonly outcome: BatchOutcome;
      /** Partition batches in the transaction that applied this one. */
      readonly together: number;
    }
  /** Went stale, or the consumer is stopping: not applied; its records come again if still due. */
  | { readonly kind: 'dropped' }
  | { readonly kind: 'failed'; readonly error: unknown };

export interface ProjectionRoundsOptions {
  readonly pool: DatabasePool;
  /** PostgreSQL's circuit breaker, in front of each round's statements. */
  readonly databaseGuard: IPolicy;
  readonly deadLetters: DeadLetters;
  readonly retries: HandlerRetries;
}

/**
 * A second round runs beside the first once the batches waiting hold about a
 * fetch's worth of records (a backlog: one round at a time left a catching-up
 * projector idle between round trips); a trickle waits and goes together.
 */
const ROUNDS_AT_ONCE = {
  most: 2,
  weight: (batch: HandedOver) => batch.payload.batch.messages.length,
  busyAt: 256,
} as const;

/**
 * The rounds of every projection of a process (BatchRounds): the consumer
 * groups of one topic fetch the same records at about the same time, so
 * their batches meet in a round and share its transaction, where each group's
 * batch paid for its own.
 */
export class ProjectionRounds {
  private readonly rounds = new BatchRounds<HandedOver, RoundOutcome>(
    (batches) => this.apply(batches),
    ROUNDS_AT_ONCE,
  );

  constructor(private readonly options: ProjectionRoundsOptions) {}

  submit(batch: HandedOver): Promise<RoundOutcome> {
    return this.rounds.submit(batch);
  }

  /**
   * One round's batches in one transaction. A batch with an unreadable record,
   * and every batch of a round whose bulk apply a handler refused, goes again
   * on its own: optimistically, then with a savepoint per event.
   */
  private async apply(handedOver: readonly HandedOver[]): Promise<RoundOutcome[]> {
    const { databaseGuard, deadLetters, pool, retries } = this.options;
    const live = handedOver.filter(({ payload }) => payload.isRunning() && !payload.isStale());
    const batchOf = (
      { payload, projection, soughtTo, decoded }: HandedOver,
      optimistic: boolean,
    ): PartitionBatch => ({
      projection,
      topic: payload.batch.topic,
      partition: payload.batch.partition,
      messages: payload.batch.messages,
      decoded,
      soughtTo,
      heartbeat: payload.heartbeat,
      optimistic,
    });
    const applied = (batches: PartitionBatch[]) =>
      databaseGuard.execute(() =>
        pool.transaction((tx) => applyPartitionBatches(tx, batches, retries, deadLetters)),
      );
    const outcomes = new Map<HandedOver, RoundOutcome>();
    const unreadable = (item: HandedOver) =>
      [...item.decoded.values()].some((record) => record instanceof Error);
    const readable = live.filter((item) => !unreadable(item));
    if (readable.length > 0) {
      try {
        const together = await applied(readable.map((item) => batchOf(item, true)));
        for (const [index, item] of readable.entries()) {
          const outcome = together[index];
          if (outcome) outcomes.set(item, { kind: 'done', outcome, together: readable.length });
        }
      } catch (error) {
        if (!(error instanceof BatchNeedsSavepoints))
          for (const item of readable) outcomes.set(item, { kind: 'failed', error });
      }
    }
    for (const item of live) {
      if (outcomes.has(item)) continue;
      try {
        // Savepoints per event only for a batch where something fails (rare): they cost two round trips each.
        // A batch with an unreadable record goes guarded at once: its parking is not done twice.
        const alone =
          unreadable(item) || readable.length === 1
            ? undefined
            : await applied([batchOf(item, true)]).catch((error: unknown) => {
                if (error instanceof BatchNeedsSavepoints) return undefined;
                throw error;
              });
        const [outcome] = alone ?? (await applied([batchOf(item, false)]));
        if (outcome) outcomes.set(item, { kind: 'done', outcome, together: 1 });
      } catch (error) {
        outcomes.set(item, { kind: 'failed', error });
      }
    }
    return handedOver.map((item) => outcomes.get(item) ?? { kind: 'dropped' });
  }
}
