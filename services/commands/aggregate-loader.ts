import type { AnyDecider } from '../domain/contexts.ts';
import { replay } from '../domain/kernel/index.ts';
import type { EventStore, StreamId } from '../eventstore/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

export interface LoadedAggregate {
  readonly state: unknown;
  readonly version: number;
  /** False for a missing stream and for a stream of another aggregate type: callers answer both alike. */
  readonly found: boolean;
  /** How many events were replayed on top of the snapshot: what snapshot policy weighs. */
  readonly replayed: number;
}

/** Rebuilds an aggregate's state from its latest valid snapshot plus the events after it. */
export async function loadAggregate(
  store: EventStore,
  decider: AnyDecider,
  tenant: TenantId,
  id: StreamId,
  untilVersion?: number,
): Promise<LoadedAggregate> {
  const stateVersion = decider.stateVersion ?? 1;
  const loaded = await store.loadStream(tenant, id, { stateVersion, untilVersion });
  if (loaded.streamType !== undefined && loaded.streamType !== decider.aggregateType) {
    return { state: decider.initialState, version: 0, found: false, replayed: 0 };
  }
  const state = replay(decider, loaded.snapshot?.state ?? decider.initialState, loaded.events);
  return { state, version: loaded.version, found: loaded.version > 0, replayed: loaded.events.length };
}
