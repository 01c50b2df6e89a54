import { Redis } from 'ioredis';
import type { RedisConnection } from './redis-connection.ts';

/**
 * The one way a process opens Redis (the quotas, the query cache, the
 * projector's generations), over TLS for rediss:// and as the connection's
 * ACL user. It fails a command at once rather than queueing it while
 * disconnected, so a quota decides locally and a query reads the read models
 * instead of waiting. It connects in the background (await `once(redis,
 * 'ready')` with a deadline to start on shared decisions).
 */
export function openRedis(connection: RedisConnection): Redis {
  const options = {
    ...(connection.username ? { username: connection.username } : {}),
    ...(connection.password ? { password: connection.password } : {}),
    // rediss:// turns TLS on (ioredis); a CA of its own replaces the system's.
    ...(connection.ca ? { tls: { ca: connection.ca } } : {}),
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
  const redis = new Redis(connection.url, options);
  // ioredis emits an error for every failed reconnect and prints it when nobody
  // listens; the quotas report failures through onFallback and /ready instead.
  redis.on('error', (error: Error) => connectionFailures.set(redis, error));
  redis.on('ready', () => connectionFailures.delete(redis));
  return redis;
}

const connectionFailures = new WeakMap<Redis, Error>();

/**
 * Asks Redis for PONG, for /ready. While no connection could be made, a call
 * fails only with "Stream isn't writeable"; the connection's own error
 * (WRONGPASS, a certificate refused) is what says why, so that is the failure.
 */
export async function pingRedis(redis: Redis): Promise<void> {
  try {
    await redis.ping();
  } catch (error) {
    throw connectionFailures.get(redis) ?? error;
  }
}
