export { decodeCursor, encodeCursor } from './cursor.ts';
export { queryParams, type QueryType, queryTypes } from './query-types.ts';
export { type QueryAnswer, ReadModelQueries, type ReadYourWrites } from './read-model-queries.ts';
export { awaitPosition, ReadModelBehindError, readWatermark, type Watermark } from './read-your-writes.ts';
