import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import {
  type Checkpoint,
  type CommitRange,
  compareCheckpoints,
  type EventStore,
  isWithin,
  type RecordedEvent,
  type ReplayedEvent,
  type ReplayScope,
} from '../eventstore/index.ts';
import { sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { ProjectedEvent, Projection } from './projection.ts';

/**
 * What a replay of a projection applies (a rebuild's passes, the consistency
 * check), read from the event store: each tenant's events in its range, in the
 * order the live projection applied them. That order is commit order, except
 * that the projection's parked events are left out, and one `eventline dlq
 * replay` applied later sits right after the watermark its tenant had then
 * (its anchor), where it took effect in the live model.
 */

/** Per tenant, the part of its commit order to replay. */
export type ReplayRanges = ReadonlyMap<TenantId, CommitRange>;

/** A stored event as a projection sees it (the event store has brought its data to the newest schema version). */
function projected(event: ReplayedEvent): ProjectedEvent {
  return {
    eventId: event.eventId,
    type: event.type,
    tenantId: event.tenantId,
    aggregateId: event.streamId,
    aggregateVersion: event.streamVersion,
    globalPosition: event.globalPosition,
    occurredAt: event.occurredAt,
    data: event.data,
  };
}

const deadLetterRow = z.object({
  event_id: z.string(),
  replayed: z.boolean(),
  anchor_transaction_id: z.string(),
  anchor_position: z.number(),
});

interface DeadLetters {
  /** Every event the projection parked: the replay leaves each out of its place in commit order. */
  readonly parked: ReadonlySet<string>;
  /** Those applied later, each where its tenant's watermark stood then. */
  readonly replayed: ReadonlyMap<string, Checkpoint>;
}

async function deadLettersOf(
  tx: DatabaseTransactionConnection,
  projection: Projection,
): Promise<DeadLetters> {
  const rows = await tx.any(sql.type(deadLetterRow)`
    SELECT event_id, replayed_at IS NOT NULL AS replayed,
           coalesce(replayed_after_transaction_id, '0'::xid8)::text AS anchor_transaction_id,
           coalesce(replayed_after_position, 0) AS anchor_position
      FROM readmodels.dead_letters WHERE projection = ${projection.name}`);
  return {
    parked: new Set(rows.map((row) => row.event_id)),
    replayed: new Map(
      rows
        .filter((row) => row.replayed)
        .map((row) => [
          row.event_id,
          { transactionId: row.anchor_transaction_id, position: row.anchor_position },
        ]),
    ),
  };
}

/**
 * The replayed events anchored in their tenant's range (and in the window, when
 * one is given), each with its anchor, in anchor order.
 */
async function replayedIn(
  tx: DatabaseTransactionConnection,
  events: EventStore,
  projection: Projection,
  ranges: ReplayRanges,
  deadLetters: DeadLetters,
  window?: CommitRange,
): Promise<{ readonly anchor: Checkpoint; readonly event: RecordedEvent }[]> {
  const anchored = [...deadLetters.replayed].filter(([, anchor]) => !window || isWithin(anchor, window));
  if (anchored.length === 0) return [];
  const stored = await events.readEventsById(
    anchored.map(([eventId]) => eventId),
    { transaction: tx },
  );
  return stored
    .flatMap((event) => {
      const anchor = deadLetters.replayed.get(event.eventId);
      const range = ranges.get(event.tenantId);
      return anchor && range && isWithin(anchor, range) && projection.handlers[event.type]
        ? [{ anchor, event }]
        : [];
    })
    .sort(
      (a, b) => compareCheckpoints(a.anchor, b.anchor) || a.event.globalPosition - b.event.globalPosition,
    );
}

export interface ReplayWindowOfProjection {
  /** In the order the live projection applied them. */
  readonly events: readonly ProjectedEvent[];
  /** Where the next window starts; undefined when this one reached `upTo`. */
  readonly next: Checkpoint | undefined;
}

/**
 * The replay's events anchored in the next window of `size` events of the
 * commit order after `after` (fewer when other tenants' events, or types the
 * projection ignores, fall in it), not beyond `upTo`. Everything is read in
 * the caller's transaction: the dead letters and the events of its snapshot.
 */
export async function replayWindow(
  tx: DatabaseTransactionConnection,
  events: EventStore,
  projection: Projection,
  ranges: ReplayRanges,
  window: { readonly after: Checkpoint; readonly upTo: Checkpoint; readonly size: number },
): Promise<ReplayWindowOfProjection> {
  const deadLetters = await deadLettersOf(tx, projection);
  const types = Object.keys(projection.handlers);
  const scope: ReplayScope = { ranges, types, except: deadLetters.parked };
  const read = await events.readReplay(scope, window.after, window.upTo, window.size, { transaction: tx });
  const until = read.next ?? window.upTo;
  const replayed = await replayedIn(tx, events, projection, ranges, deadLetters, {
    after: window.after,
    upTo: until,
  });
  // Merged in: a replayed event goes before the first event of commit order past its anchor.
  const ordered: ProjectedEvent[] = [];
  let pending = 0;
  const replayedBefore = (point?: Checkpoint) => {
    for (let item = replayed[pending]; item; item = replayed[pending]) {
      if (point && compareCheckpoints(item.anchor, point) >= 0) return;
      ordered.push(projected(item.event));
      pending++;
    }
  };
  for (const event of read.events) {
    if (pending < replayed.length)
      replayedBefore({ transactionId: event.transactionId, position: event.globalPosition });
    ordered.push(projected(event));
  }
  replayedBefore();
  return { events: ordered, next: read.next };
}

/** How many events a replay over the ranges applies. */
export async function countReplay(
  tx: DatabaseTransactionConnection,
  events: EventStore,
  projection: Projection,
  ranges: ReplayRanges,
): Promise<number> {
  const deadLetters = await deadLettersOf(tx, projection);
  const types = Object.keys(projection.handlers);
  const scope = { ranges, types, except: deadLetters.parked };
  const inCommitOrder = await events.countReplay(scope, { transaction: tx });
  return inCommitOrder + (await replayedIn(tx, events, projection, ranges, deadLetters)).length;
}
