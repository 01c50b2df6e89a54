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
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
} as const;

export type EnvField = keyof typeof env;
