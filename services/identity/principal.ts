import type { TenantId } from '../platform/tenancy/index.ts';

export const tenantRoles = ['admin', 'writer', 'reader'] as const;
export type TenantRole = (typeof tenantRoles)[number];

/** Who is calling, as established by a verified credential; the tenant comes only from here. */
export type Principal =
  | { readonly kind: 'platform-admin'; readonly subject: 'platform-admin' }
  | {
      readonly kind: 'tenant';
      readonly tenant: TenantId;
      readonly subject: string;
      readonly roles: readonly TenantRole[];
      readonly via: 'api-key' | 'jwt';
    };

/** What each role may do: admin ⊃ writer ⊃ reader. */
const grants: Readonly<Record<TenantRole, readonly TenantRole[]>> = {
  admin: ['admin', 'writer', 'reader'],
  writer: ['writer', 'reader'],
  reader: ['reader'],
};

export function hasRole(principal: Principal, needed: TenantRole): boolean {
  return principal.kind === 'tenant' && principal.roles.some((role) => grants[role].includes(needed));
}
