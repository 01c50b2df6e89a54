export { tenantStatsProjection } from './tenant-stats-projection.ts';
