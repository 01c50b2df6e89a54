import { ConcurrencyError, NotFoundError, ValidationError } from '../platform/errors/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type {
  AppendOptions,
  EventStore,
  LoadedStream,
  ReadAllResult,
  ReadStreamOptions,
  ReplayScope,
  ReplayWindow,
  StreamPoint,
} from './event-store.ts';
import { newEventId, type StreamId } from './ids.ts';
import {
  type AppendResult,
  type Checkpoint,
  type EventPoint,
  type CommitRange,
  compareCheckpoints,
  type EventMetadata,
  type ExpectedVersion,
  isWithin,
  type NewEvent,
  type RecordedEvent,
  START,
  type StreamRef,
} from './records.ts';

interface StoredStream {
  readonly type: string;
  readonly events: RecordedEvent[];
}

interface Snapshot {
  readonly version: number;
  readonly stateVersion: number;
  readonly state: unknown;
}

const key = (tenant: TenantId, id: StreamId) => `${tenant}/${id}`;

const pointOf = (event: RecordedEvent): Checkpoint => ({
  transactionId: event.transactionId,
  position: event.globalPosition,
});

const within = (event: RecordedEvent, range: CommitRange) => isWithin(pointOf(event), range);

function inScope(scope: ReplayScope, event: RecordedEvent): boolean {
  const range = scope.ranges.get(event.tenantId);
  return (
    range !== undefined &&
    within(event, range) &&
    scope.types.includes(event.type) &&
    !scope.except.has(event.eventId)
  );
}

/**
 * The event store's contract kept in memory, for unit tests of what is built
 * on it (command handling) without a database: optimistic concurrency, retried
 * appends answered from what is stored, snapshots by state version, commit
 * order. Each append is its own "transaction", so commit order is append order.
 * It has no transactions to share, so it takes no inline projections and
 * refuses `alongside`. Data is copied in and out, as a database would.
 */
export class InMemoryEventStore implements EventStore {
  private readonly streams = new Map<string, StoredStream>();
  private readonly snapshots = new Map<string, Snapshot>();
  private position = 0;
  private transaction = 0;
  /** Called with each append before it is stored: a test's way to make a concurrent writer win. */
  beforeAppend: ((stream: StreamRef) => Promise<void> | void) | undefined;

  async appendToStream(
    tenant: TenantId,
    stream: StreamRef,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: EventMetadata,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (options.alongside) throw new Error('InMemoryEventStore has no transaction for `alongside`');
    if (events.length === 0) throw new ValidationError('an append needs at least one event');
    await this.beforeAppend?.(stream);
    const stored = this.streams.get(key(tenant, stream.id));
    const duplicate = stored?.events.find((event) => event.eventId === events[0]?.eventId);
    if (duplicate) {
      const repeated =
        stored?.events.filter((event) => events.some((each) => each.eventId === event.eventId)) ?? [];
      return {
        nextExpectedVersion: repeated.at(-1)?.streamVersion ?? duplicate.streamVersion,
        globalPositions: repeated.map((event) => event.globalPosition),
        eventIds: repeated.map((event) => event.eventId),
        duplicate: true,
      };
    }
    const current = stored?.events.length ?? 0;
    const wanted = expected === 'no-stream' ? 0 : expected;
    if (wanted !== 'any' && wanted !== current) throw new ConcurrencyError(stream.id, expected, current);
    const transactionId = String(++this.transaction);
    const recordedAt = new Date();
    const recorded = events.map((event, i): RecordedEvent => ({
      tenantId: tenant,
      streamId: stream.id,
      streamType: stream.type,
      streamVersion: current + i + 1,
      eventId: event.eventId ?? newEventId(),
      type: event.type,
      schemaVersion: event.schemaVersion ?? 1,
      data: structuredClone(event.data) as Record<string, unknown>,
      metadata: { ...metadata, tenantId: tenant },
      globalPosition: ++this.position,
      transactionId,
      occurredAt: event.occurredAt ?? recordedAt,
      recordedAt,
    }));
    const target = stored ?? { type: stream.type, events: [] };
    target.events.push(...recorded);
    this.streams.set(key(tenant, stream.id), target);
    return {
      nextExpectedVersion: current + recorded.length,
      globalPositions: recorded.map((event) => event.globalPosition),
      eventIds: recorded.map((event) => event.eventId),
      duplicate: false,
    };
  }

  async loadStream(
    tenant: TenantId,
    id: StreamId,
    options: { readonly stateVersion?: number; readonly untilVersion?: number } = {},
  ): Promise<LoadedStream> {
    const stored = this.streams.get(key(tenant, id));
    const until = options.untilVersion ?? Number.POSITIVE_INFINITY;
    const candidate = this.snapshots.get(key(tenant, id));
    const snapshot =
      candidate && candidate.stateVersion === (options.stateVersion ?? 1) && candidate.version <= until
        ? { version: candidate.version, state: structuredClone(candidate.state) }
        : undefined;
    const events = (stored?.events ?? [])
      .filter((event) => event.streamVersion > (snapshot?.version ?? 0) && event.streamVersion <= until)
      .map(copy);
    return {
      streamType: stored?.type,
      snapshot,
      events,
      version: events.at(-1)?.streamVersion ?? snapshot?.version ?? 0,
    };
  }

  async readStream(
    tenant: TenantId,
    id: StreamId,
    options: ReadStreamOptions = {},
  ): Promise<RecordedEvent[]> {
    const events = this.streams.get(key(tenant, id))?.events ?? [];
    const backward = options.direction === 'backward';
    const from = options.fromVersion ?? (backward ? Number.POSITIVE_INFINITY : 1);
    const chosen = backward
      ? events.filter((event) => event.streamVersion <= from).reverse()
      : events.filter((event) => event.streamVersion >= from);
    return chosen.slice(0, options.maxCount ?? chosen.length).map(copy);
  }

  async readStreamUntil(tenant: TenantId, id: StreamId, until: StreamPoint): Promise<RecordedEvent[]> {
    const events = this.streams.get(key(tenant, id))?.events ?? [];
    return events
      .filter((event) =>
        'version' in until ? event.streamVersion <= until.version : event.recordedAt <= until.at,
      )
      .map(copy);
  }

  async readAll(tenant: TenantId, after: Checkpoint, maxCount = 1000): Promise<ReadAllResult> {
    const events = this.tenantEvents(tenant)
      .filter((event) => compareCheckpoints(pointOf(event), after) > 0)
      .slice(0, maxCount);
    const last = events.at(-1);
    return {
      events: events.map(copy),
      checkpoint: last ? { transactionId: last.transactionId, position: last.globalPosition } : after,
    };
  }

  async readAllHolding(
    tenant: TenantId,
    after: Checkpoint,
    texts: readonly string[],
    walk = 5000,
  ): Promise<ReadAllResult> {
    if (texts.length === 0) return { events: [], checkpoint: after };
    const walked = this.tenantEvents(tenant)
      .filter((event) => compareCheckpoints(pointOf(event), after) > 0)
      .slice(0, walk);
    const last = walked.at(-1);
    return {
      events: walked
        .filter((event) => texts.some((text) => JSON.stringify(event.data).includes(text)))
        .map(copy),
      checkpoint: last ? pointOf(last) : after,
    };
  }

  async lastCommitted(tenant: TenantId): Promise<Checkpoint> {
    const last = this.tenantEvents(tenant).at(-1);
    return last ? pointOf(last) : START;
  }

  async readByCorrelationId(tenant: TenantId, correlationId: string): Promise<RecordedEvent[]> {
    return this.tenantEvents(tenant)
      .filter((event) => event.metadata.correlationId === correlationId)
      .map(copy);
  }

  async checkpointOf(tenant: TenantId, position: number): Promise<EventPoint | undefined> {
    const event = this.tenantEvents(tenant).find((each) => each.globalPosition === position);
    return event && { ...pointOf(event), eventType: event.type };
  }

  async hasEventsBetween(tenant: TenantId, range: CommitRange, types: readonly string[]): Promise<boolean> {
    return this.tenantEvents(tenant).some((event) => types.includes(event.type) && within(event, range));
  }

  async checkpointsOf(positions: readonly number[]): Promise<ReadonlyMap<number, Checkpoint>> {
    const wanted = new Set(positions);
    return new Map(
      this.everyEvent()
        .filter((event) => wanted.has(event.globalPosition))
        .map((event) => [event.globalPosition, pointOf(event)]),
    );
  }

  async readReplay(
    scope: ReplayScope,
    after: Checkpoint,
    upTo: Checkpoint,
    size: number,
  ): Promise<ReplayWindow> {
    const left = this.everyEvent().filter((event) => within(event, { after, upTo }));
    const end = left[size - 1];
    const window = end ? left.slice(0, size) : left;
    return {
      events: window.filter((event) => inScope(scope, event)).map(copy),
      next: end && pointOf(end),
    };
  }

  async countReplay(scope: ReplayScope): Promise<number> {
    return this.everyEvent().filter((event) => inScope(scope, event)).length;
  }

  async readEventsById(ids: readonly string[]): Promise<RecordedEvent[]> {
    const wanted = new Set(ids);
    return this.everyEvent()
      .filter((event) => wanted.has(event.eventId))
      .map(copy);
  }

  async writeSnapshot(
    tenant: TenantId,
    stream: { readonly id: StreamId; readonly type: string },
    version: number,
    stateVersion: number,
    state: unknown,
  ): Promise<void> {
    const current = this.snapshots.get(key(tenant, stream.id));
    if (current && current.version >= version && current.stateVersion === stateVersion) return;
    this.snapshots.set(key(tenant, stream.id), { version, stateVersion, state: structuredClone(state) });
  }

  async streamVersion(tenant: TenantId, id: StreamId): Promise<{ type: string; version: number }> {
    const stored = this.streams.get(key(tenant, id));
    if (!stored) throw new NotFoundError(`no stream ${id}`);
    return { type: stored.type, version: stored.events.length };
  }

  async close(): Promise<void> {}

  /** The tenant's events in commit order. */
  private tenantEvents(tenant: TenantId): RecordedEvent[] {
    return this.everyEvent().filter((event) => event.tenantId === tenant);
  }

  /** Every tenant's events in commit order: each append was one transaction, in order. */
  private everyEvent(): RecordedEvent[] {
    return [...this.streams.values()]
      .flatMap((stream) => stream.events)
      .sort((a, b) => compareCheckpoints(pointOf(a), pointOf(b)));
  }
}

function copy(event: RecordedEvent): RecordedEvent {
  return { ...event, data: structuredClone(event.data) };
}
