/**
 * The local stack's secured endpoints (scripts/stack: TLS, SASL, authenticated
 * registry, TLS Redis), which the tests of production connectivity use. Only
 * the local stack has them: on containers they are missing and those tests
 * fail saying so, rather than passing without a secured connection.
 */
export interface SecuredEndpoints {
  /** PEM files: the stack's CA, a client certificate and key it signed, and a CA nothing trusts. */
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly untrustedCaFile: string;
  /** The services' roles with ?sslmode=verify-full&sslrootcert=<the CA>. */
  readonly databaseUrl: string;
  readonly relayDatabaseUrl: string;
  readonly projectorDatabaseUrl: string;
  readonly adminDatabaseUrl: string;
  /** A role pg_hba refuses without TLS. */
  readonly tlsOnlyUser: string;
  readonly tlsOnlyPassword: string;
  /** SASL_SSL: PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER. */
  readonly saslSslBrokers: string;
  /** SSL with client certificates required. */
  readonly mtlsBrokers: string;
  readonly scram: { readonly username: string; readonly password: string };
  readonly plain: { readonly username: string; readonly password: string };
  readonly oauth: { readonly tokenUrl: string; readonly clientId: string; readonly clientSecret: string };
  /** https, basic auth or a bearer token. */
  readonly registryUrl: string;
  readonly registry: { readonly username: string; readonly password: string; readonly token: string };
  /** rediss://, with an ACL user. */
  readonly redisUrl: string;
  readonly redis: { readonly username: string; readonly password: string };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: the secured endpoints come from the local stack (scripts/stack, EVENTLINE_TEST_STACK=local)`,
    );
  return value;
}

export function securedEndpoints(): SecuredEndpoints {
  return {
    caFile: required('SECURE_TLS_CA_FILE'),
    clientCertFile: required('SECURE_TLS_CLIENT_CERT_FILE'),
    clientKeyFile: required('SECURE_TLS_CLIENT_KEY_FILE'),
    untrustedCaFile: required('SECURE_TLS_UNTRUSTED_CA_FILE'),
    databaseUrl: required('SECURE_DATABASE_URL'),
    relayDatabaseUrl: required('SECURE_RELAY_DATABASE_URL'),
    projectorDatabaseUrl: required('SECURE_PROJECTOR_DATABASE_URL'),
    adminDatabaseUrl: required('SECURE_ADMIN_DATABASE_URL'),
    tlsOnlyUser: required('SECURE_PG_TLS_ONLY_USER'),
    tlsOnlyPassword: required('SECURE_PG_TLS_ONLY_PASSWORD'),
    saslSslBrokers: required('SECURE_KAFKA_SASL_SSL_BROKERS'),
    mtlsBrokers: required('SECURE_KAFKA_MTLS_BROKERS'),
    scram: {
      username: required('SECURE_KAFKA_SCRAM_USERNAME'),
      password: required('SECURE_KAFKA_SCRAM_PASSWORD'),
    },
    plain: {
      username: required('SECURE_KAFKA_PLAIN_USERNAME'),
      password: required('SECURE_KAFKA_PLAIN_PASSWORD'),
    },
    oauth: {
      tokenUrl: required('SECURE_OAUTH_TOKEN_URL'),
      clientId: required('SECURE_OAUTH_CLIENT_ID'),
      clientSecret: required('SECURE_OAUTH_CLIENT_SECRET'),
    },
    registryUrl: required('SECURE_SCHEMA_REGISTRY_URL'),
    registry: {
      username: required('SECURE_SCHEMA_REGISTRY_USERNAME'),
      password: required('SECURE_SCHEMA_REGISTRY_PASSWORD'),
      token: required('SECURE_SCHEMA_REGISTRY_TOKEN'),
    },
    redisUrl: required('SECURE_REDIS_URL'),
    redis: { username: required('SECURE_REDIS_USERNAME'), password: required('SECURE_REDIS_PASSWORD') },
  };
}

/** The same server as `url`, another database: the query (sslmode, sslrootcert) is kept. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
