import { z } from 'zod';

/**
 * The environment variables Eventline reads, each with its CONTRACTS §2 default.
 * A deployable picks the ones it needs and hands them to loadConfig.
 */
const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);

const url = (protocols: string[], fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .optional()
    .refine(
      (value) => {
        try {
          return value === undefined || protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

const hostPortList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((broker) => broker.trim()))
    .refine((brokers) => brokers.every((broker) => /^[^\s:,]+:\d{1,5}$/.test(broker)), {
      message: 'expected a comma-separated list of host:port',
    });

export const env = {
  PORT: port(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_OPS_PORT: port(9100),
  RELAY_PORT: port(9101),
  PROJECTOR_PORT: port(9102),
  KAFKA_BROKERS: hostPortList('127.0.0.1:9092'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-"')
    .default(''),
  SCHEMA_REGISTRY_URL: url(['http:', 'https:'], 'http://127.0.0.1:8081/apis/ccompat/v7'),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://127.0.0.1:5432/eventline'),
  ADMIN_DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://127.0.0.1:5432/eventline'),
  /** Where the gateway reads the read models (a replica, say); DATABASE_URL when unset. */
  READ_DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** How long a cached query answer lives, and so the oldest a stale one can be; 0 turns the cache off. */
  QUERY_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
  ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_JWKS_URL: z.string().url('expected a URL').optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(16_777_216).default(262_144),
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(1).default(86_400),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** PostgreSQL cancels a statement running longer; a connection not made within the connect timeout fails. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** Kafka: connecting to a broker, and any one request (the projector never waits less than 45 s for a request). */
  KAFKA_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(3_000),
  KAFKA_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** One HTTP call to the schema registry. */
  SCHEMA_REGISTRY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** From SIGTERM to exit: work in flight finishes within it, or the process exits 1 (keep it below the pod's grace). */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(1_000).max(600_000).default(20_000),
  /** How long a starting process waits for PostgreSQL and Kafka, retrying, before it gives up with exit 1. */
  STARTUP_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(120_000),
  /** How long the gateway waits for Redis before it decides a quota locally or reads a query from the read models. */
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(50),
} as const;

export type EnvField = keyof typeof env;
