import type { z } from 'zod';
import { ConfigError, env } from '../config/index.ts';

/** The variables that say where Redis is and how to authenticate to it (docs/contracts.md §2). */
export const redisEnv = {
  REDIS_URL: env.REDIS_URL,
  REDIS_USERNAME: env.REDIS_USERNAME,
  REDIS_PASSWORD: env.REDIS_PASSWORD,
  REDIS_CA_FILE: env.REDIS_CA_FILE,
};

export type RedisSettings = z.infer<z.ZodObject<typeof redisEnv>>;

/** A Redis server: rediss:// for TLS, an ACL user's credentials, a CA for its certificate. */
export interface RedisConnection {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly ca?: string;
}

/** Checks the Redis settings go together; a ConfigError names the one that does not. */
export function redisConnection(settings: RedisSettings): RedisConnection {
  if (settings.REDIS_USERNAME && !settings.REDIS_PASSWORD)
    throw new ConfigError('REDIS_PASSWORD', 'is required with REDIS_USERNAME');
  if (settings.REDIS_CA_FILE && !settings.REDIS_URL.startsWith('rediss:'))
    throw new ConfigError('REDIS_CA_FILE', 'needs a rediss:// REDIS_URL');
  return {
    url: settings.REDIS_URL,
    ...(settings.REDIS_USERNAME ? { username: settings.REDIS_USERNAME } : {}),
    ...(settings.REDIS_PASSWORD ? { password: settings.REDIS_PASSWORD } : {}),
    ...(settings.REDIS_CA_FILE ? { ca: settings.REDIS_CA_FILE.pem } : {}),
  };
}
