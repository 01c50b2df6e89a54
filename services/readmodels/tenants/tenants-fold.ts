import type {
  TenantCreated,
  TenantQuotaChanged,
  TenantRenamed,
  TenantSuspended,
} from '../../domain/tenants/index.ts';
import { dataOf, type ProjectedEvent } from '../projection.ts';

/** A tenant's row as GetTenant answers it; times as text PostgreSQL reads back as the same instant. */
export interface TenantRow {
  readonly name: string;
  readonly status: string;
  readonly plan: string;
  readonly commandsPerMinute: number;
  readonly maxBurst: number;
  readonly suspensionReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

function changed(row: TenantRow, event: ProjectedEvent, change: Partial<TenantRow>): TenantRow {
  return { ...row, ...change, version: event.aggregateVersion, updatedAt: event.occurredAt.toISOString() };
}

/**
 * One event applied to a tenant's row: the handlers and the bulk apply both
 * fold with it. A creation of a tenant already there changes nothing; a change
 * of a tenant not there (yet) is applied to nothing.
 */
export function evolveTenant(row: TenantRow | undefined, event: ProjectedEvent): TenantRow | undefined {
  if (event.type === 'TenantCreated') {
    if (row) return row;
    const { name, plan, quota } = dataOf<TenantCreated['data']>(event);
    const at = event.occurredAt.toISOString();
    return {
      name,
      status: 'active',
      plan,
      commandsPerMinute: quota.commandsPerMinute,
      maxBurst: quota.maxBurst,
      suspensionReason: null,
      createdAt: at,
      updatedAt: at,
      version: event.aggregateVersion,
    };
  }
  if (!row) return row;
  switch (event.type) {
    case 'TenantRenamed':
      return changed(row, event, { name: dataOf<TenantRenamed['data']>(event).name });
    case 'TenantSuspended':
      return changed(row, event, {
        status: 'suspended',
        suspensionReason: dataOf<TenantSuspended['data']>(event).reason,
      });
    case 'TenantReactivated':
      return changed(row, event, { status: 'active', suspensionReason: null });
    case 'TenantQuotaChanged': {
      const { commandsPerMinute, maxBurst } = dataOf<TenantQuotaChanged['data']>(event);
      return changed(row, event, { commandsPerMinute, maxBurst });
    }
    default:
      return row;
  }
}
