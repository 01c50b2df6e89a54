import { type DatabasePool, type DatabaseTransactionConnection, sql } from 'slonik';
import {
  type ExistingTenant,
  planQuotas,
  type TenantPlan,
  type TenantQuota,
} from '../domain/tenants/index.ts';
import { inTenantTransaction } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { RecentLookups } from './recent-lookups.ts';

export interface TenantRecord {
  readonly tenantId: TenantId;
  readonly name: string;
  readonly plan: TenantPlan;
  readonly status: 'active' | 'suspended';
  readonly quota: TenantQuota;
  readonly version: number;
}

interface TenantRow {
  tenant_id: string;
  name: string;
  plan: TenantPlan;
  status: 'active' | 'suspended';
  commands_per_minute: number;
  max_burst: number;
  events_per_day: number | null;
  version: number;
}

/** Tenants remembered at most; past it the least recently read is forgotten first. */
const CACHED_TENANTS_AT_MOST = 10_000;

/**
 * The tenants table, kept in step with each Tenant aggregate, so every request
 * reads one row (briefly cached: a suspension or a new quota reaches the other
 * processes within cacheMs) instead of replaying the tenant's stream.
 */
export class TenantDirectory {
  private readonly tenants: RecentLookups<TenantId, TenantRecord | undefined>;

  constructor(
    private readonly pool: DatabasePool,
    cacheMs = 1000,
  ) {
    this.tenants = new RecentLookups((tenant) => this.lookUp(tenant), {
      maxAgeMs: cacheMs,
      maxEntries: CACHED_TENANTS_AT_MOST,
    });
  }

  find(tenant: TenantId): Promise<TenantRecord | undefined> {
    return this.tenants.get(tenant);
  }

  private async lookUp(tenant: TenantId): Promise<TenantRecord | undefined> {
    const row = (await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.maybeOne(sql.unsafe`
        SELECT tenant_id, name, plan, status, commands_per_minute, max_burst, events_per_day, version
          FROM tenants WHERE tenant_id = ${tenant}`),
    )) as TenantRow | null;
    return row ? toRecord(row) : undefined;
  }

  /**
   * Writes the aggregate's state at a version; an older version arriving late
   * changes nothing. The caller forgets the tenant once its transaction has
   * committed: forgotten sooner, a read in between would remember the old row.
   */
  async record(
    tx: DatabaseTransactionConnection,
    tenant: TenantId,
    state: ExistingTenant,
    version: number,
  ): Promise<void> {
    await tx.query(sql.unsafe`
      INSERT INTO tenants (tenant_id, name, plan, status, commands_per_minute, max_burst, events_per_day, version)
      VALUES (${tenant}, ${state.name}, ${state.plan}, ${state.status}, ${state.quota.commandsPerMinute},
              ${state.quota.maxBurst}, ${state.quota.eventsPerDay}, ${version})
      ON CONFLICT (tenant_id) DO UPDATE
        SET name = EXCLUDED.name, plan = EXCLUDED.plan, status = EXCLUDED.status,
            commands_per_minute = EXCLUDED.commands_per_minute, max_burst = EXCLUDED.max_burst,
            events_per_day = EXCLUDED.events_per_day, version = EXCLUDED.version, updated_at = now()
        WHERE tenants.version < EXCLUDED.version`);
  }

  /** The next find reads the row again (this process; the others within cacheMs). */
  forget(tenant: TenantId): void {
    this.tenants.forget(tenant);
  }
}

function toRecord(row: TenantRow): TenantRecord {
  return {
    tenantId: row.tenant_id as TenantId,
    name: row.name,
    plan: row.plan,
    status: row.status,
    quota: {
      commandsPerMinute: row.commands_per_minute,
      maxBurst: row.max_burst,
      eventsPerDay: row.events_per_day ?? planQuotas[row.plan].eventsPerDay,
    },
    version: row.version,
  };
}
