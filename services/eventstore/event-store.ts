import type { DatabaseTransactionConnection, FragmentSqlToken } from 'slonik';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { StreamId } from './ids.ts';
import type {
  AppendResult,
  Checkpoint,
  EventPoint,
  CommitRange,
  EventMetadata,
  ExpectedVersion,
  NewEvent,
  RecordedEvent,
  ReplayedEvent,
  StreamRef,
} from './records.ts';

export interface ReadStreamOptions {
  /** First version to read going forward, or last going backward (default: the start, or the end). */
  readonly fromVersion?: number;
  readonly maxCount?: number;
  readonly direction?: 'forward' | 'backward';
}

/** A point in a stream's history: a version, or the last event recorded at or before an instant. */
export type StreamPoint = { readonly version: number } | { readonly at: Date };

export interface LoadedStream {
  readonly streamType: string | undefined;
  readonly snapshot: { readonly version: number; readonly state: unknown } | undefined;
  /** The events after the snapshot (all of them without one). */
  readonly events: readonly RecordedEvent[];
  readonly version: number;
}

export interface ReadAllResult {
  readonly events: readonly RecordedEvent[];
  /** Where to continue from; unchanged when nothing new was committed. */
  readonly checkpoint: Checkpoint;
}

/**
 * What a replay (a rebuild, a consistency check) reads of every tenant's
 * events: for each tenant named, the events of its range, of the given types,
 * but for those left out (the events a projection parked).
 */
export interface ReplayScope {
  readonly ranges: ReadonlyMap<TenantId, CommitRange>;
  readonly types: readonly string[];
  readonly except: ReadonlySet<string>;
}

/** Where a read of every tenant's events runs. */
export interface ReplayReadOptions {
  /**
   * In the caller's transaction (its snapshot and its connection), for a
   * replay that holds one: it may not take another connection meanwhile.
   * Without one, on a connection of the store's pool.
   */
  readonly transaction?: DatabaseTransactionConnection;
}

/** One window of a replay: the scope's events in it, and where the next one starts. */
export interface ReplayWindow {
  readonly events: readonly ReplayedEvent[];
  /** Where the next window starts: this one's end when it was full, undefined when it reached the replay's end. */
  readonly next: Checkpoint | undefined;
}

/**
 * Seals the personal fields of an event's data before it is stored (the
 * privacy building block: docs/privacy.md), so the log, the outbox and
 * everything copied from them hold only ciphertext. The keys it sealed with
 * are stored by the append itself, in its own statement (`keeping`), so a
 * key commits with the first event it seals and sealing costs no round trip.
 */
export interface PersonalDataSealer<Key = unknown> {
  seal(
    tenant: TenantId,
    eventType: string,
    version: number,
    data: Readonly<Record<string, unknown>>,
  ): Promise<{ readonly data: Record<string, unknown>; readonly keys: readonly Key[] }>;
  /** A FROM item that stores these keys, one row: the append's statement joins it. */
  keeping(keys: readonly Key[]): FragmentSqlToken;
}

export interface AppendOptions {
  /**
   * More of the same decision, written in the append's transaction once its
   * events are: it commits with them or not at all, and a throw undoes the
   * append. Not called for a duplicate (a retry of an append already stored).
   * Only a store on PostgreSQL has transactions to offer.
   */
  readonly alongside?: (tx: DatabaseTransactionConnection) => Promise<void>;
}

/**
 * The event store: the source of truth, and the one owner of the events,
 * streams and snapshots tables. An operation naming a tenant acts for that
 * tenant; the others read every tenant's events, for the readers that see
 * them all (the projector, the relay, the schema owner's rebuilds and checks:
 * under the services' role they find nothing). PostgresEventStore is the real
 * one; InMemoryEventStore stands in for it in unit tests of what is built on
 * top (command handling).
 */
export interface EventStore {
  /**
   * Appends events to a stream if it is at the expected version, with their
   * outbox rows and the inline projections of the stream's type in the same
   * transaction. Events whose ids are stored already (a retried append) are not
   * stored again: the stored result is returned, marked duplicate. Throws
   * ConcurrencyError, with the current version, on a stale expectation, and
   * ValidationError when an event does not fit its schema.
   */
  appendToStream(
    tenant: TenantId,
    stream: StreamRef,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    options?: AppendOptions,
  ): Promise<AppendResult>;

  /** The latest snapshot taken with this state version (a stale one is ignored) and the events after it. */
  loadStream(
    tenant: TenantId,
    id: StreamId,
    options?: { readonly stateVersion?: number; readonly untilVersion?: number },
  ): Promise<LoadedStream>;

  readStream(tenant: TenantId, id: StreamId, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** The stream's events up to a version or an instant: what time travel replays. */
  readStreamUntil(tenant: TenantId, id: StreamId, until: StreamPoint): Promise<RecordedEvent[]>;

  /** The tenant's events after a checkpoint, in commit order, none ever skipped: for catch-up readers. */
  readAll(tenant: TenantId, after: Checkpoint, maxCount?: number): Promise<ReadAllResult>;

  /**
   * A walk of the tenant's commit order as readAll's (at most `walk` events,
   * none ever skipped), keeping only the events whose data holds any of these
   * texts, e.g. values sealed with some keys. The checkpoint is where the walk
   * ended, so the next call goes on from there whether or not it found any.
   */
  readAllHolding(
    tenant: TenantId,
    after: Checkpoint,
    texts: readonly string[],
    walk?: number,
  ): Promise<ReadAllResult>;

  /**
   * The tenant's last committed event as a point of the commit order (START
   * when it has none): where a reader that wants everything stored so far stops.
   */
  lastCommitted(tenant: TenantId): Promise<Checkpoint>;

  /** Every event of one correlation, in commit order, each carrying its causation id. */
  readByCorrelationId(tenant: TenantId, correlationId: string): Promise<RecordedEvent[]>;

  /**
   * The tenant's event at a global position as a point of its commit order
   * (the transaction id beside the position), with its type; undefined when
   * the position is none of the tenant's events.
   */
  checkpointOf(tenant: TenantId, position: number): Promise<EventPoint | undefined>;

  /** Whether the tenant has events of these types in the range: what a reader between two points has yet to see. */
  hasEventsBetween(tenant: TenantId, range: CommitRange, types: readonly string[]): Promise<boolean>;

  /** Every tenant's events at these global positions as points of the commit order, by position. */
  checkpointsOf(positions: readonly number[]): Promise<ReadonlyMap<number, Checkpoint>>;

  /**
   * A replay's window: the next `size` events of the commit order of every
   * tenant after `after`, not beyond `upTo` (every type counts, so a window is
   * a bounded walk of the commit order), and of them the scope's, in order.
   */
  readReplay(
    scope: ReplayScope,
    after: Checkpoint,
    upTo: Checkpoint,
    size: number,
    options?: ReplayReadOptions,
  ): Promise<ReplayWindow>;

  /** How many events the scope holds: a replay's denominator. */
  countReplay(scope: ReplayScope, options?: ReplayReadOptions): Promise<number>;

  /** Every tenant's events with these ids, in commit order (an id stored nowhere is left out). */
  readEventsById(ids: readonly string[], options?: ReplayReadOptions): Promise<RecordedEvent[]>;

  /** Keeps the newest snapshot only: an older one arriving late does not replace it. */
  writeSnapshot(
    tenant: TenantId,
    stream: { readonly id: StreamId; readonly type: string },
    version: number,
    stateVersion: number,
    state: unknown,
  ): Promise<void>;

  /** The stream's type and version, or NotFoundError: for callers that must tell "missing" from "empty". */
  streamVersion(tenant: TenantId, id: StreamId): Promise<{ type: string; version: number }>;

  /** Finishes what it does in the background (announcing appends); call before closing its pool. */
  close(): Promise<void>;
}
