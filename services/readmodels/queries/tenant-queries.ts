import { type DatabaseTransactionConnection, sql } from 'slonik';
import { NotFoundError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';

interface TenantRow {
  readonly name: string;
  readonly status: string;
  readonly plan: string;
  readonly commands_per_minute: number;
  readonly max_burst: number;
  readonly suspension_reason: string | null;
  readonly created_at: number;
  readonly updated_at: number;
  readonly version: number;
}

export async function getTenant(tx: DatabaseTransactionConnection, tenant: TenantId) {
  const row = (await tx.maybeOne(sql.unsafe`
    SELECT name, status, plan, commands_per_minute, max_burst, suspension_reason, created_at, updated_at, version
      FROM readmodels.tenants WHERE tenant_id = ${tenant}`)) as TenantRow | null;
  if (!row) throw new NotFoundError('no tenant in the read model yet');
  return {
    tenantId: tenant,
    name: row.name,
    status: row.status,
    plan: row.plan,
    quota: { commandsPerMinute: row.commands_per_minute, maxBurst: row.max_burst },
    suspensionReason: row.suspension_reason,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    version: row.version,
  };
}

/** Orders per status and revenue per currency; a tenant without orders has empty ones. */
export async function getTenantStats(tx: DatabaseTransactionConnection, tenant: TenantId) {
  const counts = (await tx.any(sql.unsafe`
    SELECT status, orders FROM readmodels.tenant_order_counts WHERE tenant_id = ${tenant} ORDER BY status`)) as readonly {
    status: string;
    orders: number;
  }[];
  const revenue = (await tx.any(sql.unsafe`
    SELECT currency, revenue FROM readmodels.tenant_revenue WHERE tenant_id = ${tenant} ORDER BY currency`)) as readonly {
    currency: string;
    revenue: number;
  }[];
  return {
    ordersByStatus: Object.fromEntries(counts.map((row) => [row.status, row.orders])),
    revenueByCurrency: Object.fromEntries(revenue.map((row) => [row.currency, row.revenue])),
  };
}
