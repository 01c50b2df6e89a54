export { decodeCursor, encodeCursor } from './cursor.ts';
export { queryParams, type QueryType, queryTypes } from './query-types.ts';
export {
  type PreparedQuery,
  type QueryAnswer,
  ReadModelQueries,
  type ReadYourWrites,
  type WatermarkedAnswer,
} from './read-model-queries.ts';
export {
  awaitPosition,
  compareWatermarks,
  NO_WATERMARK,
  ReadModelBehindError,
  type ResolvedConsistency,
  resolvePosition,
  type Watermark,
} from './read-your-writes.ts';
export { WatermarkWaits } from './watermark-waits.ts';
