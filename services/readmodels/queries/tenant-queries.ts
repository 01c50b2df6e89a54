import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { money, moneyAsNumber } from '../../domain/orders/index.ts';
import { sql } from '../../platform/database/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { storedTenant, tenantRowOf } from '../tenants/tenants-projection.ts';

export async function getTenant(tx: DatabaseTransactionConnection, tenant: TenantId) {
  const stored = await tx.maybeOne(sql.type(storedTenant)`
    SELECT name, status, plan, commands_per_minute, max_burst, suspension_reason,
           to_json(created_at) #>> '{}' AS created_at, to_json(updated_at) #>> '{}' AS updated_at, version
      FROM readmodels.tenants WHERE tenant_id = ${tenant}`);
  if (!stored) throw new NotFoundError('no tenant in the read model yet');
  const row = tenantRowOf(stored);
  return {
    tenantId: tenant,
    name: row.name,
    status: row.status,
    plan: row.plan,
    quota: { commandsPerMinute: row.commandsPerMinute, maxBurst: row.maxBurst },
    suspensionReason: row.suspensionReason,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    version: row.version,
  };
}

const countRow = z.object({ status: z.string(), orders: z.number().int() });
const revenueRow = z.object({ currency: z.string(), revenue: z.string().transform(money) });

/** Orders per status and revenue per currency; a tenant without orders has empty ones. */
export async function getTenantStats(tx: DatabaseTransactionConnection, tenant: TenantId) {
  const counts = await tx.any(sql.type(countRow)`
    SELECT status, orders FROM readmodels.tenant_order_counts WHERE tenant_id = ${tenant} ORDER BY status`);
  const revenue = await tx.any(sql.type(revenueRow)`
    SELECT currency, revenue::text AS revenue FROM readmodels.tenant_revenue
     WHERE tenant_id = ${tenant} ORDER BY currency`);
  return {
    ordersByStatus: Object.fromEntries(counts.map((row) => [row.status, row.orders])),
    revenueByCurrency: Object.fromEntries(revenue.map((row) => [row.currency, moneyAsNumber(row.revenue)])),
  };
}
