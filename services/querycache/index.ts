export { CachedQueries, type CachedQueriesOptions, type ServedAnswer } from './cached-queries.ts';
export { type CacheResult, QueryCacheMetrics } from './query-cache-metrics.ts';
export { type CachedAnswer, type CacheLookup, QueryCache } from './query-cache.ts';
export { ReadModelGenerations } from './read-model-generations.ts';
export { announcementChannel, WatermarkAnnouncements } from './watermark-announcements.ts';
