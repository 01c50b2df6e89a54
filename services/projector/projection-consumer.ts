import type { IPolicy } from 'cockatiel';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import { batchFields, type BatchItem, type Logger } from '../platform/telemetry/index.ts';
import type { Projection, Watermark } from '../readmodels/index.ts';
import type { DecodedRecord, DecodedRecords } from './decoded-records.ts';
import { headersOf } from './incoming-event.ts';
import { isGroupChange, isInfrastructureError, isOutageCrash } from './infrastructure-errors.ts';
import { PartitionProgress, type StalledPartition } from './partition-progress.ts';
import type { ProjectionRounds } from './projection-rounds.ts';
import type { ProjectorMetrics } from './projector-metrics.ts';
import type { RecordsNotInStore } from './records-not-in-store.ts';

export interface ProjectionConsumerOptions {
  readonly kafka: Kafka;
  /** For the seeks to the checkpoints. */
  readonly pool: DatabasePool;
  /** Where the batches are applied, with the other projections' of the process. */
  readonly rounds: ProjectionRounds;
  /** Kafka's circuit breaker, in front of the offset commits. */
  readonly kafkaGuard: IPolicy;
  /** Decoded once per process for every consumer group reading a topic. */
  readonly records: DecodedRecords;
  /** Told of records whose event the store does not hold (a store restored behind Kafka). */
  readonly notInStore: RecordsNotInStore;
  readonly metrics: ProjectorMetrics;
  readonly log: Logger;
  /** The projections of the group, each with the topics it reads (prefix applied). */
  readonly projections: readonly GroupProjection[];
  /** The consumer group, prefix applied. */
  readonly group: string;
  /** Partitions kafkajs hands over at once; their batches go in the same round. */
  readonly partitionsConcurrently: number;
  /** Told, after each committed batch, the tenants' new watermarks (the query cache's invalidation). */
  readonly onCommitted?: (projection: string, watermarks: ReadonlyMap<string, Watermark>) => Promise<void>;
  /** A partition with records to apply and no batch committed for this long is stalled (/ready). */
  readonly stallAfterMs: number;
}

/** A projection of a consumer group and the topics it reads; the group subscribes to all of its projections'. */
export interface GroupProjection {
  readonly projection: Projection;
  readonly topics: readonly string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often the group's offsets go to Kafka at most (for lag tools; the checkpoints are the position). */
const OFFSET_COMMIT_INTERVAL_MS = 1_000;

/** The first pause before a consumer kafkajs gave up for an outage is started again; it doubles up to the most. */
const RESTART_PAUSE_MS = { first: 1_000, most: 30_000 } as const;

const checkpointRow = z.object({
  projection: z.string(),
  topic: z.string(),
  partition: z.number(),
  next_offset: z.number(),
});

/** The records of a batch that a projection handles (its decoded events, unreadable ones included). */
function decodedFor(
  projection: Projection,
  messages: readonly KafkaMessage[],
  decoded: ReadonlyMap<string, DecodedRecord>,
): Map<string, DecodedRecord> {
  const mine = new Map<string, DecodedRecord>();
  for (const message of messages) {
    const record = decoded.get(message.offset);
    if (!record) continue;
    const type = headersOf(message)['event-type'];
    if (type === undefined || projection.handlers[type] !== undefined) mine.set(message.offset, record);
  }
  return mine;
}

function itemOf(message: KafkaMessage): BatchItem {
  const headers = headersOf(message);
  return {
    tenantId: headers['tenant-id'] ?? '',
    correlationId: headers['correlation-id'],
    causationId: headers['causation-id'],
  };
}

/**
 * One member of a kafkajs consumer group feeding its projections (topology/:
 * projections of one topic share a group, so its records are fetched and
 * decoded once for all of them); a process runs a few members of each group
 * (start-projector.ts, DEFAULT_MEMBERS_PER_GROUP). Each projection's position
 * is its checkpoint in PostgreSQL, not the group's committed offset: on every
 * assignment the group seeks to the oldest of its projections' checkpoints,
 * each projection skips what it has applied, and offsets go to Kafka
 * afterwards only so lag tools work.
 */
export class ProjectionConsumer {
  private consumer: Consumer | undefined;
  /** Per projection and partition, the checkpoint last sought to (PartitionBatch.soughtTo). */
  private readonly soughtTo = new Map<string, number>();
  /** Per partition, the newest offset to tell Kafka at the next commit; the commits go one after another. */
  private readonly wantedOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  private offsetCommitTimer: NodeJS.Timeout | undefined;
  private offsetCommits: Promise<void> = Promise.resolve();
  private crashed: string | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Restarts since the group was last joined: each waits twice as long as the one before. */
  private restarts = 0;
  private readonly progress: PartitionProgress;

  constructor(private readonly options: ProjectionConsumerOptions) {
    this.progress = new PartitionProgress(options.stallAfterMs);
    // A series from the start: rate() and the dashboard then count the first restart too.
    for (const name of this.projectionNames) options.metrics.consumerRestarts.inc({ projection: name }, 0);
  }

  get group(): string {
    return this.options.group;
  }

  get projections(): readonly GroupProjection[] {
    return this.options.projections;
  }

  get projectionNames(): string[] {
    return this.options.projections.map(({ projection }) => projection.name);
  }

  /** Why the consumer stopped for good, if it did (for /ready). */
  get failure(): string | undefined {
    return this.crashed;
  }

  /** The partitions of this replica that have work and made no progress for the stall time. */
  stalled(): StalledPartition[] {
    return this.progress.stalled();
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.offsetCommitTimer);
    this.offsetCommitTimer = undefined;
    await this.commitWantedOffsets();
    await this.consumer?.disconnect();
  }

  /** A consumer of the group, connected and running. */
  private async run(): Promise<void> {
    const { kafka, group, log, metrics } = this.options;
    const topics = [...new Set(this.options.projections.flatMap((reading) => reading.topics))];
    const consumer = kafka.consumer({
      groupId: group,
      // A replica that dies hands its partitions on after this long.
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1_000,
      // A fetch is answered as soon as one record is there (minBytes 1): a lone event is not held
      // back. maxWaitTimeInMs only bounds how long an idle fetch waits before it is sent again.
      minBytes: 1,
      maxWaitTimeInMs: 500,
      // Fetched records wait as JS objects (headers and all) until applied: a few hundred per
      // partition keep batches large enough to amortise their transaction and memory small.
      maxBytesPerPartition: 256 * 1024,
      maxBytes: 2 * 1024 * 1024,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.restarts = 0;
      this.progress.assigned(payload.memberAssignment);
      void this.seekToCheckpoints(payload.memberAssignment).catch((error: unknown) =>
        // The in-transaction checkpoint check still keeps every batch exact; the seek only saves a re-fetch.
        log.warn({ err: error, group }, 'seeking to the checkpoints failed'),
      );
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      const restartsItself = payload.restart || this.stopping;
      const restartedByUs = !restartsItself && isOutageCrash(payload.error);
      if (!restartsItself && !restartedByUs) this.crashed = payload.error.message;
      log.error(
        {
          err: payload.error,
          group,
          projections: this.projectionNames,
          restart: payload.restart || restartedByUs,
        },
        'projection consumer crashed',
      );
      if (restartedByUs) {
        for (const name of this.projectionNames) metrics.consumerRestarts.inc({ projection: name });
        this.restartLater();
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConcurrently,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /**
   * A new consumer in place of the one kafkajs gave up for an outage
   * (isOutageCrash), after a pause that grows while the outage lasts: the
   * checkpoints say where it goes on, as after any rebalance.
   */
  private restartLater(): void {
    const pauseMs = Math.min(RESTART_PAUSE_MS.most, RESTART_PAUSE_MS.first * 2 ** this.restarts);
    this.restarts++;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.run().catch((error: unknown) => {
        this.options.log.warn(
          { err: error, group: this.group, pauseMs },
          'restarting the projection consumer failed: trying again',
        );
        if (!this.stopping) this.restartLater();
      });
    }, pauseMs);
  }

  /**
   * Each assigned partition to the oldest checkpoint of the projections that
   * read it; a projection further on skips the records it has applied.
   */
  private async seekToCheckpoints(assignment: Record<string, number[]>): Promise<void> {
    const rows = await this.options.pool.any(sql.type(checkpointRow)`
      SELECT projection, topic, partition, next_offset FROM readmodels.checkpoints
       WHERE projection = ANY(${sql.array(this.projectionNames, 'text')}) AND next_offset >= 0`);
    const oldest = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const row of rows) {
      if (!assignment[row.topic]?.includes(row.partition)) continue;
      const key = `${row.topic}:${row.partition}`;
      this.soughtTo.set(`${row.projection}|${key}`, row.next_offset);
      const known = oldest.get(key);
      if (!known || row.next_offset < known.offset)
        oldest.set(key, { topic: row.topic, partition: row.partition, offset: row.next_offset });
    }
    for (const { topic, partition, offset } of oldest.values())
      this.consumer?.seek({ topic, partition, offset: String(offset) });
  }

  /** The group's projections that read this topic. */
  private readersOf(topic: string): Projection[] {
    return this.options.projections
      .filter((reading) => reading.topics.includes(topic))
      .map((reading) => reading.projection);
  }

  /** Decodes outside the transaction, once for the group; only the event types its projections handle are worth the registry. */
  private decode(
    payload: EachBatchPayload,
    readers: readonly Projection[],
  ): Promise<Map<string, DecodedRecord>> {
    const { topic, partition, messages } = payload.batch;
    return this.options.records.decodeBatch(
      topic,
      partition,
      messages,
      (type) => type === undefined || readers.some((projection) => projection.handlers[type] !== undefined),
    );
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (batch.isEmpty() || !isRunning() || isStale()) return;
    const { metrics, log } = this.options;
    const key = `${batch.topic}:${batch.partition}`;
    const readers = this.readersOf(batch.topic);
    this.progress.batchStarted(batch.topic, batch.partition);
    for (let attempt = 0; isRunning() && !isStale(); attempt++) {
      const timers = readers.map((projection) =>
        metrics.batchSeconds.startTimer({ projection: projection.name }),
      );
      try {
        const decoded = await this.decode(payload, readers);
        // Submitted together, so the projections' batches share a round and its transaction.
        const rounds = await Promise.all(
          readers.map((projection) =>
            this.options.rounds.submit({
              payload,
              projection,
              soughtTo: this.soughtTo.get(`${projection.name}|${key}`),
              decoded: readers.length === 1 ? decoded : decodedFor(projection, batch.messages, decoded),
            }),
          ),
        );
        if (rounds.some((round) => round.kind === 'dropped')) break;
        const failed = rounds.find((round) => round.kind === 'failed');
        if (failed) throw failed.error;
        const seeks: { projection: string; offset: number }[] = [];
        let nextOffset = Number.POSITIVE_INFINITY;
        for (const [index, round] of rounds.entries()) {
          const projection = readers[index];
          if (round.kind !== 'done' || !projection) continue;
          const seconds = timers[index]?.() ?? 0;
          const { outcome, together } = round;
          if (outcome.kind === 'seek') {
            seeks.push({ projection: projection.name, offset: outcome.offset });
            continue;
          }
          nextOffset = Math.min(nextOffset, outcome.nextOffset);
          // Once past the checkpoint it was sought to, a checkpoint found behind the batch again
          // (a database that lost its last rounds, docs/projector.md) is sought to again, not
          // taken for a gap of the log.
          const soughtKey = `${projection.name}|${key}`;
          if (outcome.nextOffset > (this.soughtTo.get(soughtKey) ?? Number.POSITIVE_INFINITY))
            this.soughtTo.delete(soughtKey);
          this.options.notInStore.note(projection.name, batch.topic, batch.partition, outcome.notInStore);
          void this.options.onCommitted?.(projection.name, outcome.watermarks);
          metrics.applied.inc({ projection: projection.name }, outcome.applied);
          if (outcome.parked > 0) metrics.parked.inc({ projection: projection.name }, outcome.parked);
          this.recordLag(payload, projection.name);
          // The line's fields read every record's headers: not for a level that drops it.
          if (log.isLevelEnabled('info'))
            log.info(
              {
                projection: projection.name,
                topic: batch.topic,
                partition: batch.partition,
                fromOffset: batch.firstOffset(),
                toOffset: batch.lastOffset(),
                applied: outcome.applied,
                parked: outcome.parked,
                together,
                durationMs: Math.round(seconds * 1000),
                ...batchFields(batch.messages.map(itemOf)),
              },
              'batch applied',
            );
        }
        if (seeks.length > 0) {
          const offset = Math.min(...seeks.map((seek) => seek.offset));
          log.warn(
            { group: this.group, projections: seeks, topic: batch.topic, partition: batch.partition, offset },
            'the group is past a checkpoint: seeking back to it',
          );
          for (const seek of seeks) this.soughtTo.set(`${seek.projection}|${key}`, seek.offset);
          this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: String(offset) });
          return;
        }
        resolveOffset(batch.lastOffset());
        this.progress.batchCommitted(batch.topic, batch.partition, Number(batch.offsetLag()));
        if (Number.isFinite(nextOffset)) this.commitOffset(key, batch.topic, batch.partition, nextOffset);
        await heartbeat();
        return;
      } catch (error) {
        if (!isInfrastructureError(error) || isGroupChange(error)) throw error;
        // PostgreSQL, Kafka or the registry is away: nothing is parked for it; the
        // partition waits here (heartbeating) and resumes by itself.
        for (const projection of readers) metrics.infrastructureRetries.inc({ projection: projection.name });
        const pauseMs = Math.min(5_000, 200 * 2 ** Math.min(attempt, 5));
        log.warn(
          { err: error, group: this.group, partition: batch.partition, pauseMs },
          'a dependency is away: retrying the batch',
        );
        await sleep(pauseMs);
        await heartbeat().catch(() => undefined);
      }
    }
    // Stale or stopping: the batch goes unapplied, and its records come again in a later fetch if still due.
    this.progress.batchDropped(batch.topic, batch.partition);
  }

  /**
   * Tells Kafka the group's offsets, for lag tools only (the checkpoint
   * committed with the read models is the position): off the batch's path, so
   * the next fetch does not wait a Kafka round trip for it, and at most once a
   * second, the newest offset of every partition in one request, where a
   * request per round cost the projector about as much as a round's statement.
   */
  private commitOffset(key: string, topic: string, partition: number, offset: number): void {
    this.wantedOffsets.set(key, { topic, partition, offset: String(offset) });
    this.offsetCommitTimer ??= setTimeout(() => {
      this.offsetCommitTimer = undefined;
      void this.commitWantedOffsets();
    }, OFFSET_COMMIT_INTERVAL_MS).unref();
  }

  /** Chained, so a commit held up by an outage never lands after a newer one. */
  private commitWantedOffsets(): Promise<void> {
    const { kafkaGuard, log } = this.options;
    this.offsetCommits = this.offsetCommits.then(async () => {
      const wanted = [...this.wantedOffsets.values()];
      this.wantedOffsets.clear();
      const consumer = this.consumer;
      if (wanted.length === 0 || !consumer) return;
      await kafkaGuard
        .execute(() => consumer.commitOffsets(wanted))
        .catch((error: unknown) =>
          log.warn({ err: error }, 'committing offsets to Kafka failed (lag tools only)'),
        );
    });
    return this.offsetCommits;
  }

  private recordLag(payload: EachBatchPayload, projection: string): void {
    const { batch } = payload;
    const labels = { projection, topic: batch.topic, partition: String(batch.partition) };
    const behind = Number(batch.offsetLag());
    this.options.metrics.lagMessages.set(labels, behind);
    const last = batch.messages.at(-1);
    const occurredAt = last ? Date.parse(headersOf(last)['occurred-at'] ?? '') : Number.NaN;
    this.options.metrics.lagSeconds.set(
      labels,
      behind > 0 && !Number.isNaN(occurredAt) ? Math.max(0, (Date.now() - occurredAt) / 1000) : 0,
    );
  }
}
