/**
 * Where the integration tests find the real components. global-setup.ts fills
 * these variables (from testcontainers or the local stack) when they are unset.
 */
export interface Endpoints {
  /** The services' role: no BYPASSRLS, owns nothing. */
  databaseUrl: string;
  /** A role that may create databases and own tables: migrations and test isolation. */
  adminDatabaseUrl: string;
  /** The outbox relay's role: reads every tenant's outbox and events, nothing more. */
  relayDatabaseUrl: string;
  /** The projector's role: writes every tenant's read models, reads every tenant's events. */
  projectorDatabaseUrl: string;
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  redisUrl: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: integration tests run through global-setup.ts`);
  return value;
}

export function endpoints(): Endpoints {
  return {
    databaseUrl: required('DATABASE_URL'),
    adminDatabaseUrl: required('ADMIN_DATABASE_URL'),
    relayDatabaseUrl: required('RELAY_DATABASE_URL'),
    projectorDatabaseUrl: required('PROJECTOR_DATABASE_URL'),
    kafkaBrokers: required('KAFKA_BROKERS').split(','),
    schemaRegistryUrl: required('SCHEMA_REGISTRY_URL'),
    redisUrl: required('REDIS_URL'),
  };
}
