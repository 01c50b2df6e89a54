import { z } from 'zod';
import { foldAndUpsert, runOfOne } from '../fold-and-upsert.ts';
import type { Projection } from '../projection.ts';
import { evolveTenant, type TenantRow } from './tenants-fold.ts';

/** A tenants row as read, times as text (exact to the microsecond): by the bulk apply and by GetTenant. */
export const storedTenant = z.object({
  name: z.string(),
  status: z.string(),
  plan: z.string(),
  commands_per_minute: z.number().int(),
  max_burst: z.number().int(),
  suspension_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
});

export function tenantRowOf(stored: z.infer<typeof storedTenant>): TenantRow {
  return {
    name: stored.name,
    status: stored.status,
    plan: stored.plan,
    commandsPerMinute: stored.commands_per_minute,
    maxBurst: stored.max_burst,
    suspensionReason: stored.suspension_reason,
    createdAt: stored.created_at,
    updatedAt: stored.updated_at,
    version: stored.version,
  };
}

/** The tenants a run names are read once (locked), folded in memory, and the changed rows written once. */
export const applyTenants = foldAndUpsert<TenantRow, z.infer<typeof storedTenant>, Record<never, never>>({
  rows: {
    table: 'tenants',
    key: [{ name: 'tenant_id', type: 'uuid' }],
    columns: [
      { name: 'name', type: 'text', value: (row) => row.name },
      { name: 'status', type: 'text', value: (row) => row.status },
      { name: 'plan', type: 'text', value: (row) => row.plan },
      { name: 'commands_per_minute', type: 'int4', value: (row) => row.commandsPerMinute },
      { name: 'max_burst', type: 'int4', value: (row) => row.maxBurst },
      { name: 'suspension_reason', type: 'text', value: (row) => row.suspensionReason },
      { name: 'created_at', type: 'timestamptz', value: (row) => row.createdAt },
      { name: 'updated_at', type: 'timestamptz', value: (row) => row.updatedAt },
      { name: 'version', type: 'int4', value: (row) => row.version },
    ],
    stored: storedTenant,
    toRow: tenantRowOf,
  },
  totals: {},
  keyOf: (event) => [event.tenantId],
  fold: (row, event) => ({ row: evolveTenant(row, event) }),
});

const one = runOfOne(applyTenants);

/** `tenants`: one row per tenant, as GetTenant answers it. */
export const tenantsProjection: Projection = {
  name: 'tenants',
  sources: ['tenants'],
  tables: ['tenants'],
  applyMany: applyTenants,
  handlers: {
    TenantCreated: one,
    TenantRenamed: one,
    TenantSuspended: one,
    TenantReactivated: one,
    TenantQuotaChanged: one,
  },
};
