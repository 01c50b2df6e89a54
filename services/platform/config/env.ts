import { z } from 'zod';
import { postgresTarget } from '../database/postgres-target.ts';
import { pemFile } from './pem-file.ts';

/**
 * The environment variables Eventline reads, each with its docs/contracts.md §2 default.
 * A deployable picks the ones it needs and hands them to loadConfig.
 */
const port = (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback);

const url = (protocols: string[], fallback?: string) =>
  (fallback === undefined ? z.string() : z.string().default(fallback)).refine(
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

/** A postgres:// URL whose TLS parameters (sslmode, sslrootcert, sslcert, sslkey) make sense and whose files read. */
function postgresTls(value: string | undefined, context: z.RefinementCtx): void {
  if (value === undefined) return;
  try {
    postgresTarget(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
}

const postgresUrl = (fallback: string) =>
  url(['postgres:', 'postgresql:'], fallback).superRefine(postgresTls);

const hostPortList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((broker) => broker.trim()))
    .refine((brokers) => brokers.every((broker) => /^[^\s:,]+:\d{1,5}$/.test(broker)), {
      message: 'expected a comma-separated list of host:port',
    });

/** true or false, as operators write them; anything else is refused rather than read as false. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False', '1', '0'], {
      error: () => 'expected true or false',
    })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === '1' || value.toLowerCase() === 'true');

const secret = z.string().min(1);

export const env = {
  PORT: port(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_OPS_PORT: port(9100),
  RELAY_PORT: port(9101),
  /** The id of a relay's report of a store restored behind Kafka: leave those records there (docs/recovery.md). */
  RELAY_ACCEPT_RESTORE: z
    .string()
    .regex(/^[0-9a-f]{16}$/, 'expected the 16 hex digits of the relay report’s id')
    .optional(),
  PROJECTOR_PORT: port(9102),
  /** `eventline backup exporter`'s /health, /ready and /metrics (docs/recovery.md). */
  BACKUP_EXPORTER_PORT: port(9103),
  /** The pgBackRest stanza the exporter reads; pgBackRest itself reads PGBACKREST_CONFIG and PGBACKREST_REPO1_*. */
  BACKUP_STANZA: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, ".", "_" or "-"')
    .default('eventline'),
  /** How often the exporter reads the repository; one read never outlasts it. */
  BACKUP_READ_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(3_600).default(60),
  KAFKA_BROKERS: hostPortList('127.0.0.1:9092'),
  /** Kafka's own names for a listener's security (Java client: security.protocol). */
  KAFKA_SECURITY_PROTOCOL: z
    .enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], {
      error: () => 'expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL',
    })
    .default('PLAINTEXT'),
  /** CA bundle that signs the brokers' certificates; the system's CAs when unset. */
  KAFKA_SSL_CA_FILE: pemFile('certificate').optional(),
  /** Client certificate and key, for brokers that require mutual TLS. */
  KAFKA_SSL_CERT_FILE: pemFile('certificate').optional(),
  KAFKA_SSL_KEY_FILE: pemFile('private key').optional(),
  KAFKA_SSL_KEY_PASSWORD: secret.optional(),
  /** Whether a broker's certificate must name the host connected to; turn off only knowingly. */
  KAFKA_SSL_VERIFY_HOSTNAME: flag(true),
  KAFKA_SASL_MECHANISM: z
    .enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'], {
      error: () => 'expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER',
    })
    .optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: secret.optional(),
  /** OAUTHBEARER: the identity provider's token endpoint (client credentials grant). */
  KAFKA_OAUTH_TOKEN_URL: optionalUrl(['http:', 'https:']),
  KAFKA_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_OAUTH_CLIENT_SECRET: secret.optional(),
  KAFKA_OAUTH_SCOPE: z.string().min(1).optional(),
  KAFKA_OAUTH_AUDIENCE: z.string().min(1).optional(),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'expected letters, digits, ".", "_" or "-"')
    .default(''),
  SCHEMA_REGISTRY_URL: url(['http:', 'https:'], 'http://127.0.0.1:8081/apis/ccompat/v7'),
  /** HTTP basic auth (Confluent Cloud: an API key and secret), or a bearer token; not both. */
  SCHEMA_REGISTRY_USERNAME: z.string().min(1).optional(),
  SCHEMA_REGISTRY_PASSWORD: secret.optional(),
  SCHEMA_REGISTRY_BEARER_TOKEN: secret.optional(),
  /** CA bundle that signs an https registry's certificate; the system's CAs when unset. */
  SCHEMA_REGISTRY_CA_FILE: pemFile('certificate').optional(),
  /** TLS as libpq's URL parameters say, e.g. ?sslmode=verify-full&sslrootcert=/etc/eventline/pg-ca.pem. */
  DATABASE_URL: postgresUrl('postgres://127.0.0.1:5432/eventline'),
  /** The schema owner, for migrations and the CLI's maintenance: no default, so it is never guessed. */
  ADMIN_DATABASE_URL: url(['postgres:', 'postgresql:']).superRefine(postgresTls),
  /** A restored copy of the store, as its owner, that `eventline tenants recover` reads one tenant from. */
  RECOVERY_SOURCE_DATABASE_URL: url(['postgres:', 'postgresql:']).superRefine(postgresTls),
  /**
   * The schema owner, for the gateway's operations (the admin console's and API's projections, dead letters,
   * relay and Kafka); unset, they answer 503. Give it only to a gateway that operators alone reach (docs/console.md).
   */
  OPERATIONS_DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']).superRefine(postgresTls),
  /** Where the gateway reads the read models (a replica, say); DATABASE_URL when unset. */
  READ_DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']).superRefine(postgresTls),
  /** rediss:// connects over TLS. */
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** An ACL user and its password (AUTH), kept out of the URL. */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: secret.optional(),
  /** CA bundle that signs the server's certificate (rediss://); the system's CAs when unset. */
  REDIS_CA_FILE: pemFile('certificate').optional(),
  /** How long a cached query answer lives, and so the oldest a stale one can be; 0 turns the cache off. */
  QUERY_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3_600).default(60),
  /**
   * A read-your-writes wait wakes on the projector's announcement (Redis pub/sub); it also looks by
   * itself this often, in case an announcement was lost.
   */
  READ_YOUR_WRITES_RECHECK_MS: z.coerce.number().int().min(10).max(600_000).default(250),
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
  /** Whether the gateway serves the admin console under /admin (docs/console.md); the admin API answers either way. */
  ADMIN_CONSOLE: z.enum(['on', 'off'], { error: () => 'must be on or off' }).default('on'),
  /** How long the gateway waits for Redis before it decides a quota locally or reads a query from the read models. */
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(50),
} as const;

export type EnvField = keyof typeof env;
