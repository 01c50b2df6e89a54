import { hasRole, type Principal, type TenantRole } from '../../identity/index.ts';
import { ForbiddenError, NotFoundError } from '../../platform/errors/index.ts';
import { type TenantId, tenantId } from '../../platform/tenancy/index.ts';

/** The tenant a tenant principal acts for, if it holds the role. */
export function tenantWithRole(principal: Principal, role: TenantRole): TenantId {
  if (principal.kind !== 'tenant') throw new ForbiddenError('this route is for tenant credentials');
  if (!hasRole(principal, role)) throw new ForbiddenError(`the ${role} role is required`);
  return principal.tenant;
}

export function requirePlatformAdmin(principal: Principal): void {
  if (principal.kind !== 'platform-admin') throw new ForbiddenError('the platform administrator is required');
}

/**
 * The tenant named in a path, for the platform admin or that tenant's own
 * principals holding the role. Another tenant's id answers 404, exactly as a
 * missing one, before the role is looked at: a foreign caller learns nothing.
 */
export function tenantInPath(principal: Principal, pathTenant: string, role: TenantRole): TenantId {
  let tenant: TenantId;
  try {
    tenant = tenantId(pathTenant);
  } catch {
    throw new NotFoundError(`no tenant ${pathTenant}`);
  }
  if (principal.kind === 'platform-admin') return tenant;
  if (principal.tenant !== tenant) throw new NotFoundError(`no tenant ${pathTenant}`);
  if (!hasRole(principal, role)) throw new ForbiddenError(`the ${role} role is required`);
  return tenant;
}

/** The tenant named in a path, for the platform admin or that tenant's own admin. */
export function administeredTenant(principal: Principal, pathTenant: string): TenantId {
  return tenantInPath(principal, pathTenant, 'admin');
}
