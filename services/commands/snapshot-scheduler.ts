import type { AnyDecider } from '../domain/contexts.ts';
import type { EventStore, StreamId } from '../eventstore/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/**
 * Writes snapshots off the command's critical path: the command answers as soon
 * as its events are stored, and a failed snapshot costs only a longer replay.
 */
export class SnapshotScheduler {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: EventStore,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  schedule(tenant: TenantId, decider: AnyDecider, id: StreamId, version: number, state: unknown): void {
    const write = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() =>
        this.store.writeSnapshot(
          tenant,
          { id, type: decider.aggregateType },
          version,
          decider.stateVersion ?? 1,
          state,
        ),
      )
      .catch(this.onError)
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
