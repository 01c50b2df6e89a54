export { type TenantId, tenantId } from './tenant-id.ts';
