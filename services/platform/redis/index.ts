export { openRedis, pingRedis } from './open-redis.ts';
export { type RedisConnection, redisConnection, redisEnv, type RedisSettings } from './redis-connection.ts';
