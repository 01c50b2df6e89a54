export { projectionNamed, projections } from './catalogue.ts';
export {
  type ParkedEvent,
  type PartitionCheckpoint,
  parkedEvents,
  partitionCheckpoints,
  type RebuildState,
  rebuildStates,
} from './projection-status.ts';
export { checkConsistency, type ConsistencyReport, type TableComparison } from './consistency-check.ts';
export { eraseTenantReadModels, rememberErasure } from './erased-tenants.ts';
export { ReadsTogether, sendTogether } from './fold-and-upsert.ts';
export {
  type BulkApply,
  type EventHandler,
  LIVE,
  type Projection,
  type ProjectedEvent,
  type ReadModelTarget,
  type SharedStatements,
  tableIn,
} from './projection.ts';
export { type ReadModelRow, ReadModelRows } from './read-model-rows.ts';
export {
  awaitPosition,
  compareWatermarks,
  type PreparedQuery,
  type QueryAnswer,
  queryParams,
  type QueryType,
  queryTypes,
  ReadModelBehindError,
  ReadModelQueries,
  type ReadYourWrites,
  type ResolvedConsistency,
  type Watermark,
  type WatermarkedAnswer,
  WatermarkWaits,
} from './queries/index.ts';
export {
  buildNewProjection,
  DEFAULT_PAGE_SIZE,
  type FirstBuild,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildReport,
  rebuildProjection,
  rebuildTenant,
  registerRebuildMetrics,
  seizeProjectionTables,
  shadowOf,
  type TenantRebuild,
} from './rebuild/index.ts';
