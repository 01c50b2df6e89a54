import { sql } from 'slonik';
import { type BulkApply, type EventHandler, type Projection, tableIn } from '../projection.ts';
import { evolveTenant, type TenantRow } from './tenants-fold.ts';

interface StoredTenant {
  readonly tenant_id: string;
  readonly name: string;
  readonly status: string;
  readonly plan: string;
  readonly commands_per_minute: number;
  readonly max_burst: number;
  readonly suspension_reason: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

/**
 * A run of events in two statements: the tenants it names are read once (and
 * locked), folded in memory with the handlers' own logic, and the changed rows
 * written once. A handler is this with a run of one.
 */
export const applyTenants: BulkApply = async (tx, events, target) => {
  const table = tableIn(target, 'tenants');
  const named = [...new Set(events.map((event) => event.tenantId))];
  const stored = (await tx.any(sql.unsafe`
    SELECT tenant_id, name, status, plan, commands_per_minute, max_burst, suspension_reason,
           to_json(created_at) #>> '{}' AS created_at, to_json(updated_at) #>> '{}' AS updated_at, version
      FROM ${table} WHERE tenant_id = ANY(${sql.array(named, 'uuid')}) FOR UPDATE`)) as readonly StoredTenant[];
  const rows = new Map<string, TenantRow | undefined>(
    stored.map((row) => [
      row.tenant_id,
      {
        name: row.name,
        status: row.status,
        plan: row.plan,
        commandsPerMinute: row.commands_per_minute,
        maxBurst: row.max_burst,
        suspensionReason: row.suspension_reason,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        version: row.version,
      },
    ]),
  );
  const changed = new Set<string>();
  for (const event of events) {
    const before = rows.get(event.tenantId);
    const after = evolveTenant(before, event);
    rows.set(event.tenantId, after);
    if (after !== before) changed.add(event.tenantId);
  }
  const written = [...changed].flatMap((tenantId) => {
    const row = rows.get(tenantId);
    return row ? [{ tenantId, row }] : [];
  });
  if (written.length === 0) return true;
  const column = <T>(pick: (row: TenantRow) => T) => written.map(({ row }) => pick(row));
  await tx.query(sql.unsafe`
    INSERT INTO ${table} (tenant_id, name, status, plan, commands_per_minute, max_burst,
                          suspension_reason, created_at, updated_at, version)
    SELECT tenant_id, name, status, plan, commands_per_minute, max_burst, suspension_reason,
           created_at::timestamptz, updated_at::timestamptz, version
      FROM unnest(${sql.array(
        written.map(({ tenantId }) => tenantId),
        'uuid',
      )}, ${sql.array(
        column((row) => row.name),
        'text',
      )}, ${sql.array(
        column((row) => row.status),
        'text',
      )}, ${sql.array(
        column((row) => row.plan),
        'text',
      )}, ${sql.array(
        column((row) => row.commandsPerMinute),
        'int4',
      )}, ${sql.array(
        column((row) => row.maxBurst),
        'int4',
      )}, ${sql.array(
        column((row) => row.suspensionReason),
        'text',
      )}, ${sql.array(
        column((row) => row.createdAt),
        'text',
      )}, ${sql.array(
        column((row) => row.updatedAt),
        'text',
      )}, ${sql.array(
        column((row) => row.version),
        'int4',
      )}) AS t (tenant_id, name, status, plan, commands_per_minute, max_burst, suspension_reason,
                created_at, updated_at, version)
    ON CONFLICT (tenant_id) DO UPDATE
      SET name = EXCLUDED.name, status = EXCLUDED.status, plan = EXCLUDED.plan,
          commands_per_minute = EXCLUDED.commands_per_minute, max_burst = EXCLUDED.max_burst,
          suspension_reason = EXCLUDED.suspension_reason, updated_at = EXCLUDED.updated_at,
          version = EXCLUDED.version`);
  return true;
};

const one: EventHandler = async (tx, event, target) => {
  await applyTenants(tx, [event], target);
};

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
