import type { TenantId } from '../platform/tenancy/index.ts';
import type { EventId, StreamId } from './ids.ts';

/** What expectedVersion may say: a version, "the stream must not exist", or no check. */
export type ExpectedVersion = number | 'no-stream' | 'any';

/** The stream an append goes to: its id, aggregate type and bounded context (which names its topic). */
export interface StreamRef {
  readonly id: StreamId;
  readonly type: string;
  readonly context: string;
}

/** Who and what caused the events; stored as each event's metadata and sent as Kafka headers. */
export interface EventMetadata {
  readonly correlationId: string;
  /** The id of the command (or event) that caused this one. */
  readonly causationId: string | null;
  readonly userId?: string;
  readonly traceparent?: string;
}

export interface NewEvent {
  /** Given by the caller for an idempotent retry; generated when absent. */
  readonly eventId?: EventId;
  readonly type: string;
  readonly data: object;
  /** Defaults to the newest schema version of the type. */
  readonly schemaVersion?: number;
  readonly occurredAt?: Date;
}

export interface RecordedEvent {
  readonly tenantId: TenantId;
  readonly streamId: StreamId;
  readonly streamType: string;
  readonly streamVersion: number;
  readonly eventId: EventId;
  readonly type: string;
  /** After upcasting: the newest version of the type. */
  readonly schemaVersion: number;
  readonly data: Record<string, unknown>;
  readonly metadata: EventMetadata & { readonly tenantId: TenantId };
  readonly globalPosition: number;
  /** The committing transaction's id (PostgreSQL xid8), as a decimal string. */
  readonly transactionId: string;
  readonly occurredAt: Date;
  readonly recordedAt: Date;
}

/** A stored event as a replay reads it: all but its metadata and when it was recorded, which no projection reads. */
export type ReplayedEvent = Omit<RecordedEvent, 'metadata' | 'recordedAt'>;

export interface AppendResult {
  /** The stream's version after the append: the expectedVersion of the next one. */
  readonly nextExpectedVersion: number;
  readonly globalPositions: readonly number[];
  readonly eventIds: readonly EventId[];
  /** True when these event ids were stored by an earlier attempt, which this one repeated. */
  readonly duplicate: boolean;
}

/** Where a catch-up reader stands: after this transaction and position. */
export interface Checkpoint {
  readonly transactionId: string;
  readonly position: number;
}

export const START: Checkpoint = { transactionId: '0', position: 0 };

/** One event's point of its tenant's commit order, with the event's type as stored. */
export interface EventPoint extends Checkpoint {
  readonly eventType: string;
}

/** A part of one tenant's commit order: after one point, up to and including another. */
export interface CommitRange {
  readonly after: Checkpoint;
  readonly upTo: Checkpoint;
}

/**
 * Transaction ids as PostgreSQL writes an xid8 (decimal digits, no leading
 * zero): the longer text is the later id, and of two as long the text decides.
 * No BigInt per comparison: the projector compares one per record it applies.
 */
export function compareTransactionIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Commit order: by transaction id, then position within it (negative: a comes first). */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  return compareTransactionIds(a.transactionId, b.transactionId) || Math.sign(a.position - b.position);
}

export function isWithin(point: Checkpoint, range: CommitRange): boolean {
  return compareCheckpoints(point, range.after) > 0 && compareCheckpoints(point, range.upTo) <= 0;
}
