import type { Kafka } from 'kafkajs';
import type { DatabasePool } from 'slonik';
import type { EventStore, RecordedEvent } from '../../eventstore/index.ts';
import { deadLetterTopic } from '../../messaging/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
import { type EventDecoder, replayDeadLetters, type ReplayOutcome } from '../../projector/index.ts';
import { type ParkedEvent, parkedEvents, projections } from '../../readmodels/index.ts';

/** Which parked events a listing shows; every field narrows it. */
export interface DeadLetterFilter {
  readonly projection?: string;
  readonly tenant?: string;
  /** A part of the error, in any case. */
  readonly error?: string;
  readonly state?: 'parked' | 'replayed';
}

export interface DeadLetterView {
  readonly projection: string;
  readonly deadLetterTopic: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly tenantId: string;
  readonly error: string;
  readonly attempts: number;
  readonly parkedAt: string;
  readonly replayedAt: string | null;
}

/** Parked events listed at most: a projection parking more is one to fix, not to page through. */
const LISTED_AT_MOST = 500;

function viewOf(row: ParkedEvent): DeadLetterView {
  return {
    projection: row.projection,
    deadLetterTopic: deadLetterTopic(row.topic, row.projection),
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    eventId: row.eventId,
    eventType: row.eventType,
    tenantId: row.tenantId,
    error: row.error,
    attempts: row.attempts,
    parkedAt: row.parkedAt.toISOString(),
    replayedAt: row.replayedAt?.toISOString() ?? null,
  };
}

function matches(row: ParkedEvent, filter: DeadLetterFilter): boolean {
  if (filter.tenant !== undefined && row.tenantId !== filter.tenant) return false;
  if (filter.error !== undefined && !row.error.toLowerCase().includes(filter.error.toLowerCase()))
    return false;
  if (filter.state === 'parked' && row.replayedAt !== null) return false;
  if (filter.state === 'replayed' && row.replayedAt === null) return false;
  return true;
}

/**
 * Parked events as the admin console and API see and replay them: the
 * projector's record of what it parked, the event itself from the event store
 * (decoded and upcast), and a replay through `eventline dlq replay`'s code, of
 * one event or every one a projection parked.
 */
export class DeadLetterOperations {
  constructor(
    private readonly options: {
      /** The schema owner's pool: the dead letters' table and every tenant's events. */
      readonly pool: DatabasePool;
      readonly events: EventStore;
      readonly kafka: Kafka;
      readonly decoder: EventDecoder;
    },
  ) {}

  async list(filter: DeadLetterFilter): Promise<{ items: DeadLetterView[]; truncated: boolean }> {
    if (filter.projection !== undefined) this.named(filter.projection);
    const rows = (await parkedEvents(this.options.pool, filter.projection)).filter((row) =>
      matches(row, filter),
    );
    // Newest first: what broke last is what an operator looks for.
    const newest = rows.reverse();
    return { items: newest.slice(0, LISTED_AT_MOST).map(viewOf), truncated: newest.length > LISTED_AT_MOST };
  }

  /** One parked event with the event itself, as the event store holds it (upcast; personal data sealed). */
  async show(
    projection: string,
    eventId: string,
  ): Promise<{ parked: DeadLetterView; event: RecordedEvent | null }> {
    this.named(projection);
    const row = (await parkedEvents(this.options.pool, projection)).find((each) => each.eventId === eventId);
    if (!row) throw new NotFoundError(`no event ${eventId} parked by ${projection}`);
    const [event] = await this.options.events.readEventsById([eventId]);
    return { parked: viewOf(row), event: event ?? null };
  }

  /** Applies the projection's parked events (or one of them) with the code this gateway runs, each at most once. */
  async replay(projection: string, eventId?: string): Promise<{ outcomes: ReplayOutcome[] }> {
    const parking = this.named(projection);
    const parked = await parkedEvents(this.options.pool, parking.name);
    const topics = [...new Set(parked.map((row) => deadLetterTopic(row.topic, row.projection)))];
    if (eventId !== undefined && !parked.some((row) => row.eventId === eventId)) {
      throw new NotFoundError(`no event ${eventId} parked by ${projection}`);
    }
    const outcomes: ReplayOutcome[] = [];
    for (const topic of topics) {
      outcomes.push(
        ...(await replayDeadLetters({
          pool: this.options.pool,
          kafka: this.options.kafka,
          decoder: this.options.decoder,
          projections,
          topic,
          ...(eventId === undefined ? {} : { eventId }),
        })),
      );
    }
    return { outcomes };
  }

  private named(name: string) {
    const found = projections.find((projection) => projection.name === name);
    if (!found) throw new NotFoundError(`no projection ${name}`);
    return found;
  }
}
