import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { UsageError } from './command-line.ts';

/** A <tenant-id> argument: a tenant's UUID, or a usage error saying so. */
export function tenantArgument(text: string): TenantId {
  try {
    return tenantId(text);
  } catch {
    throw new UsageError(`<tenant-id> must be a tenant's UUID, not "${text}"`);
  }
}
