import type { AnyDecider } from '../domain/contexts.ts';
import { replay } from '../domain/kernel/index.ts';
import type { EventStore, StreamId, StreamPoint } from '../eventstore/index.ts';
import { NotFoundError } from '../platform/errors/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/** An aggregate's state as of a version or an instant (time travel), from its events alone. */
export async function aggregateStateAt(
  store: EventStore,
  decider: AnyDecider,
  tenant: TenantId,
  id: StreamId,
  point: StreamPoint,
): Promise<{ state: unknown; version: number }> {
  const events = await store.readStreamUntil(tenant, id, point);
  const [first] = events;
  if (!first || first.streamType !== decider.aggregateType) {
    throw new NotFoundError(`no ${decider.aggregateType} ${id} at that point`);
  }
  return { state: replay(decider, decider.initialState, events), version: events.at(-1)?.streamVersion ?? 0 };
}
