import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import { LIVE, type ProjectedEvent, type Projection } from '../readmodels/index.ts';
import type { EventDecoder } from './incoming-event.ts';
import { headersOf } from './incoming-event.ts';

const DLQ_SUFFIX = '.dlq';
const READ_TIMEOUT_MS = 60_000;

/** Which projection parked onto a dead-letter topic, `<source topic>.<projection>.dlq` (docs/contracts.md §8). */
export function parkingProjection(deadLetterTopic: string, known: readonly Projection[]): Projection {
  const stem = deadLetterTopic.endsWith(DLQ_SUFFIX) ? deadLetterTopic.slice(0, -DLQ_SUFFIX.length) : '';
  const name = stem.slice(stem.lastIndexOf('.') + 1);
  const projection = known.find((candidate) => candidate.name === name);
  if (!stem.includes('.') || !projection) {
    throw new Error(
      `${deadLetterTopic} is not a dead-letter topic of a known projection (<source topic>.<projection>.dlq; ` +
        `projections: ${known.map((each) => each.name).join(', ')})`,
    );
  }
  return projection;
}

/** Every record on the topic up to its end as of now, read by a throw-away group that is deleted after. */
export async function readToEnd(kafka: Kafka, topic: string): Promise<KafkaMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `eventline-dlq-replay-${randomUUID()}`;
  try {
    const ends = (await admin.fetchTopicOffsets(topic)).filter(({ high, low }) => Number(high) > Number(low));
    if (ends.length === 0) return [];
    const remaining = new Map(ends.map(({ partition, high }) => [partition, Number(high)]));
    const records: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      let done: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || Number(message.offset) >= end) return;
          records.push(message);
          if (Number(message.offset) === end - 1) remaining.delete(partition);
          if (remaining.size === 0) done();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`reading ${topic} to its end took over ${READ_TIMEOUT_MS / 1000} s`)),
          READ_TIMEOUT_MS,
        );
      });
      await Promise.race([finished, timedOut]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }
    return records;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

export interface ReplayOutcome {
  readonly eventId: string;
  readonly outcome: 'applied' | 'already replayed' | 'not recorded' | 'failed';
  readonly detail?: string;
}

const parkedSource = z.object({ topic: z.string(), partition: z.number() });
const parkedState = z.object({ replayed_at: z.number().nullable() });
const tenantWatermark = z.object({ transaction_id: z.string(), global_position: z.number() });

/**
 * Applies one parked event now, through the projection's handler, in one
 * transaction with its dead_letters row. Locking that row makes a second replay
 * (concurrent or later) find it done; locking the source partition's checkpoint
 * keeps the projector from committing that tenant's next events meanwhile, so
 * the watermark recorded is exactly the point after which the event took effect.
 */
async function applyParked(
  tx: DatabaseTransactionConnection,
  projection: Projection,
  event: ProjectedEvent,
): Promise<ReplayOutcome> {
  const key = sql.fragment`projection = ${projection.name} AND event_id = ${event.eventId}`;
  const source = await tx.maybeOne(sql.type(parkedSource)`
    SELECT topic, partition FROM readmodels.dead_letters WHERE ${key}`);
  if (!source) return { eventId: event.eventId, outcome: 'not recorded' };
  // The lock a partition batch takes first: the projector's next batch there waits for this one, and no deadlock.
  await tx.query(sql.typeAlias('void')`
    SELECT FROM readmodels.checkpoints
     WHERE (projection, topic, partition) = (${projection.name}, ${source.topic}, ${source.partition}) FOR UPDATE`);
  const parked = await tx.one(sql.type(parkedState)`
    SELECT replayed_at FROM readmodels.dead_letters WHERE ${key} FOR UPDATE`);
  if (parked.replayed_at !== null) return { eventId: event.eventId, outcome: 'already replayed' };
  const handler = projection.handlers[event.type];
  if (!handler) {
    return {
      eventId: event.eventId,
      outcome: 'failed',
      detail: `${projection.name} no longer handles ${event.type}`,
    };
  }
  const watermark = await tx.maybeOne(sql.type(tenantWatermark)`
    SELECT transaction_id::text AS transaction_id, global_position FROM readmodels.watermarks
     WHERE projection = ${projection.name} AND tenant_id = ${event.tenantId}`);
  await handler(tx, event, LIVE);
  await tx.query(sql.typeAlias('void')`
    UPDATE readmodels.dead_letters
       SET replayed_at = now(),
           replayed_after_transaction_id = ${watermark?.transaction_id ?? null}::xid8,
           replayed_after_position = ${watermark?.global_position ?? null}
     WHERE ${key}`);
  return { eventId: event.eventId, outcome: 'applied' };
}

/**
 * `eventline dlq replay <topic>`: each record parked on the topic is decoded and
 * applied by its projection's (fixed) handler, at most once. The event takes
 * effect now, after events of its tenant that were applied since it was parked
 * (docs/projector.md says what that means for a projection). A record whose
 * handler still fails stays parked; the others are applied regardless.
 */
export async function replayDeadLetters(options: {
  readonly pool: DatabasePool;
  readonly kafka: Kafka;
  readonly decoder: EventDecoder;
  readonly projections: readonly Projection[];
  readonly topic: string;
  /** Only the parked event with this id (the admin console's "replay one"); every one when absent. */
  readonly eventId?: string;
}): Promise<ReplayOutcome[]> {
  const projection = parkingProjection(options.topic, options.projections);
  const outcomes: ReplayOutcome[] = [];
  for (const message of await readToEnd(options.kafka, options.topic)) {
    const eventId = headersOf(message)['event-id'] ?? `(offset ${message.offset}, no event-id)`;
    if (options.eventId !== undefined && eventId !== options.eventId) continue;
    try {
      const event = await options.decoder.decode(message);
      outcomes.push(await options.pool.transaction((tx) => applyParked(tx, projection, event)));
    } catch (error) {
      outcomes.push({
        eventId,
        outcome: 'failed',
        detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return outcomes;
}
