import type { DatabasePool } from 'slonik';
import {
  haltedTenants,
  laneStates,
  type OutboxBacklog,
  outboxBacklog,
  relayReplicas,
  resumeTenant,
} from '../../outbox/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';

export interface LaneView {
  readonly lane: number;
  readonly holder: string | null;
  readonly epoch: number;
  readonly leaseExpiresAt: string | null;
  readonly backlog: number;
}

export interface ReplicaView {
  readonly replica: string;
  readonly seenAt: string;
  /** The lanes it holds a live lease on. */
  readonly lanes: readonly number[];
}

export interface HaltedTenantView {
  readonly tenantId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly reason: string;
  readonly haltedAt: string;
}

export interface RelayStatus {
  readonly backlog: OutboxBacklog;
  readonly replicas: readonly ReplicaView[];
  readonly lanes: readonly LaneView[];
  /** Lanes no replica holds a live lease on: their rows wait for a claim. */
  readonly unheldLanes: number;
  readonly halted: readonly HaltedTenantView[];
}

/**
 * The relay as the admin console and API see and operate it: the outbox's
 * backlog, the lanes and the replicas holding them, the halted tenants, and
 * resuming one, through the outbox module's own reads (as `eventline relay`).
 */
export class RelayOperations {
  /** The schema owner's pool: the outbox and relay tables. */
  constructor(private readonly pool: DatabasePool) {}

  async status(): Promise<RelayStatus> {
    const [backlog, lanes, replicas, halted] = await Promise.all([
      outboxBacklog(this.pool),
      laneStates(this.pool),
      relayReplicas(this.pool),
      haltedTenants(this.pool),
    ]);
    return {
      backlog,
      replicas: replicas.map((replica) => ({
        replica: replica.replica,
        seenAt: replica.seenAt.toISOString(),
        lanes: lanes.filter((lane) => lane.holder === replica.replica).map((lane) => lane.lane),
      })),
      lanes: lanes.map((lane) => ({
        lane: lane.lane,
        holder: lane.holder,
        epoch: lane.epoch,
        leaseExpiresAt: lane.expiresAt?.toISOString() ?? null,
        backlog: lane.backlog,
      })),
      unheldLanes: lanes.filter((lane) => lane.holder === null).length,
      halted: halted.map((tenant) => ({
        tenantId: tenant.tenantId,
        eventId: tenant.eventId,
        eventType: tenant.eventType,
        reason: tenant.reason,
        haltedAt: tenant.haltedAt.toISOString(),
      })),
    };
  }

  /** Lets a halted tenant's events go again; a tenant that is not halted answers 404. */
  async resume(tenant: TenantId): Promise<{ tenantId: string; resumed: true }> {
    if (!(await resumeTenant(this.pool, tenant))) throw new NotFoundError(`tenant ${tenant} is not halted`);
    return { tenantId: tenant, resumed: true };
  }
}
