export { buildNewProjection, type FirstBuild } from './first-build.ts';
export { registerRebuildMetrics } from './rebuild-metrics.ts';
export {
  DEFAULT_PAGE_SIZE,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildReport,
  rebuildProjection,
} from './rebuild-projection.ts';
export { shadowOf } from './shadow-tables.ts';
export { seizeProjectionTables } from './swap-lock.ts';
export { rebuildTenant, type TenantRebuild, type TenantRebuildOptions } from './tenant-rebuild.ts';
