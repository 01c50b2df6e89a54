import { sql } from 'slonik';
import type {
  TenantCreated,
  TenantQuotaChanged,
  TenantRenamed,
  TenantSuspended,
} from '../../domain/tenants/index.ts';
import {
  dataOf,
  type Projection,
  type ProjectedEvent,
  type ReadModelTarget,
  tableIn,
} from '../projection.ts';

function change(event: ProjectedEvent, target: ReadModelTarget, set: ReturnType<typeof sql.fragment>) {
  return sql.unsafe`
    UPDATE ${tableIn(target, 'tenants')}
       SET ${set}, version = ${event.aggregateVersion}, updated_at = ${event.occurredAt.toISOString()}::timestamptz
     WHERE tenant_id = ${event.tenantId}`;
}

/** `tenants`: one row per tenant, as GetTenant answers it. */
export const tenantsProjection: Projection = {
  name: 'tenants',
  sources: ['tenants'],
  tables: ['tenants'],
  handlers: {
    async TenantCreated(tx, event, target) {
      const { name, plan, quota } = dataOf<TenantCreated['data']>(event);
      const at = event.occurredAt.toISOString();
      await tx.query(sql.unsafe`
        INSERT INTO ${tableIn(target, 'tenants')} (tenant_id, name, status, plan, commands_per_minute, max_burst,
                                                   suspension_reason, created_at, updated_at, version)
        VALUES (${event.tenantId}, ${name}, 'active', ${plan}, ${quota.commandsPerMinute}, ${quota.maxBurst},
                NULL, ${at}::timestamptz, ${at}::timestamptz, ${event.aggregateVersion})
        ON CONFLICT (tenant_id) DO NOTHING`);
    },
    async TenantRenamed(tx, event, target) {
      const { name } = dataOf<TenantRenamed['data']>(event);
      await tx.query(change(event, target, sql.fragment`name = ${name}`));
    },
    async TenantSuspended(tx, event, target) {
      const { reason } = dataOf<TenantSuspended['data']>(event);
      await tx.query(
        change(event, target, sql.fragment`status = 'suspended', suspension_reason = ${reason}`),
      );
    },
    async TenantReactivated(tx, event, target) {
      await tx.query(change(event, target, sql.fragment`status = 'active', suspension_reason = NULL`));
    },
    async TenantQuotaChanged(tx, event, target) {
      const { commandsPerMinute, maxBurst } = dataOf<TenantQuotaChanged['data']>(event);
      await tx.query(
        change(
          event,
          target,
          sql.fragment`commands_per_minute = ${commandsPerMinute}, max_burst = ${maxBurst}`,
        ),
      );
    },
  },
};
