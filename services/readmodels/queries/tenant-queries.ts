import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { money, moneyAsNumber } from '../../domain/orders/index.ts';
import { sql } from '../../platform/database/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';

const tenantRow = z.object({
  name: z.string(),
  status: z.string(),
  plan: z.string(),
  commands_per_minute: z.number().int(),
  max_burst: z.number().int(),
  suspension_reason: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  version: z.number().int(),
});

export async function getTenant(tx: DatabaseTransactionConnection, tenant: TenantId) {
  const row = await tx.maybeOne(sql.type(tenantRow)`
    SELECT name, status, plan, commands_per_minute, max_burst, suspension_reason, created_at, updated_at, version
      FROM readmodels.tenants WHERE tenant_id = ${tenant}`);
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
