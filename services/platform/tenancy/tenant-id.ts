import { ValidationError } from '../errors/index.ts';

declare const tenantIdBrand: unique symbol;

/** A tenant's id. Only a verified principal yields one; never a body or a header the caller picks. */
export type TenantId = string & { readonly [tenantIdBrand]: true };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function tenantId(value: string): TenantId {
  if (!UUID.test(value)) throw new ValidationError(`not a tenant id: ${JSON.stringify(value)}`);
  return value.toLowerCase() as TenantId;
}
