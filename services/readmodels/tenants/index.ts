export { tenantsProjection } from './tenants-projection.ts';
