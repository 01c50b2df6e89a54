import { Redis } from 'ioredis';

/**
 * The ioredis client the quotas expect: it fails a command at once rather than
 * queueing it while disconnected, so a quota decides locally instead of waiting.
 * It connects in the background; until it is ready, decisions are local
 * (await `once(redis, 'ready')` with a deadline to start on shared ones).
 */
export function createQuotaRedis(url: string): Redis {
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    // Never give up on a long-lived process, but notice a recovered Redis within a second.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    // After disconnect(), ioredis keeps a timer this long even for a socket that is
    // already gone (2 s by default), which holds up a process's exit while Redis is down.
    // It is one of ioredis's defaults but missing from its types, hence no object literal here.
    disconnectTimeout: 200,
    // Each call is written at once. Auto-pipelining holds a call back until the reply to the
    // previous batch has been read, so on a busy process the quotas' deadline measured the
    // gateway's own event loop, not Redis: measured at 64 connections, most decisions went
    // local while Redis answered in well under a millisecond (docs/performance.md).
    enableAutoPipelining: false,
  };
  const redis = new Redis(url, options);
  // ioredis emits an error for every failed reconnect and prints it when nobody
  // listens; the quotas report failures through onFallback and /ready instead.
  redis.on('error', () => undefined);
  return redis;
}
