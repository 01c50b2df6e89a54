import type { DatabaseTransactionConnection } from 'slonik';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { StreamId } from './ids.ts';

/** An event just appended, as an inline projection sees it: after upcasting is moot, it is the newest version. */
export interface AppendedEvent {
  readonly streamId: StreamId;
  readonly streamVersion: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly occurredAt: Date;
}

/**
 * A view the event store keeps in the append's own transaction, as Emmett's
 * inline projections: the events and the view commit together or not at all.
 * For views a request depends on at once (the tenant directory every command
 * reads); everything else is projected from Kafka, off the command's path.
 */
export interface InlineProjection {
  readonly name: string;
  /** The aggregate types whose appends it follows. */
  readonly streamTypes: readonly string[];
  /** Runs after the events are written; a throw undoes the append. */
  apply(tx: DatabaseTransactionConnection, tenant: TenantId, events: readonly AppendedEvent[]): Promise<void>;
  /** After the transaction has committed: for what must not happen before (dropping a cached copy). */
  committed?(tenant: TenantId): void;
}
