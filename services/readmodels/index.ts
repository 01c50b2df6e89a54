export { projectionNamed, projections } from './catalogue.ts';
export {
  checkConsistency,
  type ConsistencyReport,
  type TableComparison,
  type Upcast,
} from './consistency-check.ts';
export {
  type EventHandler,
  LIVE,
  type Projection,
  type ProjectedEvent,
  type ReadModelTarget,
  tableIn,
} from './projection.ts';
export {
  awaitPosition,
  type QueryAnswer,
  queryParams,
  type QueryType,
  queryTypes,
  ReadModelBehindError,
  ReadModelQueries,
  type ReadYourWrites,
  readWatermark,
  type Watermark,
} from './queries/index.ts';
