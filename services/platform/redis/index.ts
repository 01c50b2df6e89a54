export { openRedis, pingRedis } from './open-redis.ts';
export { RedisCircuit, type RedisCircuitOptions } from './redis-circuit.ts';
export { deleteTenantKeys } from './tenant-keys.ts';
export { type RedisConnection, redisConnection, redisEnv, type RedisSettings } from './redis-connection.ts';
