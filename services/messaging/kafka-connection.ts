import { type ConnectionOptions, createSecureContext } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { z } from 'zod';
import { ConfigError, env } from '../platform/config/index.ts';
import { clientCredentialsTokens } from './oauth-client-credentials.ts';

/** The variables that say where Kafka is and how to reach it securely (docs/contracts.md §2). */
export const kafkaEnv = {
  KAFKA_BROKERS: env.KAFKA_BROKERS,
  KAFKA_SECURITY_PROTOCOL: env.KAFKA_SECURITY_PROTOCOL,
  KAFKA_SSL_CA_FILE: env.KAFKA_SSL_CA_FILE,
  KAFKA_SSL_CERT_FILE: env.KAFKA_SSL_CERT_FILE,
  KAFKA_SSL_KEY_FILE: env.KAFKA_SSL_KEY_FILE,
  KAFKA_SSL_KEY_PASSWORD: env.KAFKA_SSL_KEY_PASSWORD,
  KAFKA_SSL_VERIFY_HOSTNAME: env.KAFKA_SSL_VERIFY_HOSTNAME,
  KAFKA_SASL_MECHANISM: env.KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME: env.KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD: env.KAFKA_SASL_PASSWORD,
  KAFKA_OAUTH_TOKEN_URL: env.KAFKA_OAUTH_TOKEN_URL,
  KAFKA_OAUTH_CLIENT_ID: env.KAFKA_OAUTH_CLIENT_ID,
  KAFKA_OAUTH_CLIENT_SECRET: env.KAFKA_OAUTH_CLIENT_SECRET,
  KAFKA_OAUTH_SCOPE: env.KAFKA_OAUTH_SCOPE,
  KAFKA_OAUTH_AUDIENCE: env.KAFKA_OAUTH_AUDIENCE,
};

export type KafkaSettings = z.infer<z.ZodObject<typeof kafkaEnv>>;

/** Brokers and the security every client of a process uses to reach them. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** TLS (SSL and SASL_SSL); absent for PLAINTEXT and SASL_PLAINTEXT. */
  readonly ssl?: ConnectionOptions;
  readonly sasl?: SASLOptions;
  /** What an operator should know at start-up (credentials in the clear, hostname checks off). */
  readonly warnings?: readonly string[];
}

function required<T>(value: T | undefined, variable: string, why: string): T {
  if (value === undefined) throw new ConfigError(variable, `is required ${why}`);
  return value;
}

function tlsOptions(settings: KafkaSettings): ConnectionOptions {
  const { KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key } = settings;
  if (cert && !key) throw new ConfigError('KAFKA_SSL_KEY_FILE', 'is required with KAFKA_SSL_CERT_FILE');
  if (key && !cert) throw new ConfigError('KAFKA_SSL_CERT_FILE', 'is required with KAFKA_SSL_KEY_FILE');
  const options: ConnectionOptions = {
    rejectUnauthorized: true,
    ...(settings.KAFKA_SSL_CA_FILE ? { ca: settings.KAFKA_SSL_CA_FILE.pem } : {}),
    ...(cert && key ? { cert: cert.pem, key: key.pem } : {}),
    ...(settings.KAFKA_SSL_KEY_PASSWORD ? { passphrase: settings.KAFKA_SSL_KEY_PASSWORD } : {}),
    // The chain is still verified; only the match of the certificate's names with the broker's host is skipped.
    ...(settings.KAFKA_SSL_VERIFY_HOSTNAME ? {} : { checkServerIdentity: () => undefined }),
  };
  if (cert && key) {
    try {
      createSecureContext(options);
    } catch (error) {
      // OpenSSL's words: "key values mismatch", "bad decrypt", ...; never the key itself.
      throw new ConfigError(
        'KAFKA_SSL_KEY_FILE',
        `unusable with KAFKA_SSL_CERT_FILE: ${(error as Error).message}`,
      );
    }
  }
  return options;
}

function saslOptions(settings: KafkaSettings, timeoutMs: number): SASLOptions {
  const why = `with KAFKA_SASL_MECHANISM=${settings.KAFKA_SASL_MECHANISM}`;
  switch (settings.KAFKA_SASL_MECHANISM) {
    case undefined:
      throw new ConfigError(
        'KAFKA_SASL_MECHANISM',
        `is required with KAFKA_SECURITY_PROTOCOL=${settings.KAFKA_SECURITY_PROTOCOL}`,
      );
    case 'OAUTHBEARER':
      return {
        mechanism: 'oauthbearer',
        oauthBearerProvider: clientCredentialsTokens({
          tokenUrl: required(settings.KAFKA_OAUTH_TOKEN_URL, 'KAFKA_OAUTH_TOKEN_URL', why),
          clientId: required(settings.KAFKA_OAUTH_CLIENT_ID, 'KAFKA_OAUTH_CLIENT_ID', why),
          clientSecret: required(settings.KAFKA_OAUTH_CLIENT_SECRET, 'KAFKA_OAUTH_CLIENT_SECRET', why),
          scope: settings.KAFKA_OAUTH_SCOPE,
          audience: settings.KAFKA_OAUTH_AUDIENCE,
          timeoutMs,
        }),
      };
    default: {
      const credentials = {
        username: required(settings.KAFKA_SASL_USERNAME, 'KAFKA_SASL_USERNAME', why),
        password: required(settings.KAFKA_SASL_PASSWORD, 'KAFKA_SASL_PASSWORD', why),
      };
      const mechanism = (
        { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' } as const
      )[settings.KAFKA_SASL_MECHANISM];
      return { mechanism, ...credentials };
    }
  }
}

/**
 * How a process reaches Kafka, from its settings: TLS for SSL and SASL_SSL (a
 * CA bundle, a client certificate for mutual TLS, hostname verification on
 * unless turned off), SASL for SASL_PLAINTEXT and SASL_SSL (PLAIN,
 * SCRAM-SHA-256/512, or OAUTHBEARER with the client credentials grant). A
 * setting the protocol cannot use, or a missing one it needs, is a ConfigError
 * naming the variable, so a process stops at start-up instead of failing to
 * connect later. `timeoutMs` bounds a token request.
 */
export function kafkaConnection(settings: KafkaSettings, timeoutMs: number): KafkaConnection {
  const protocol = settings.KAFKA_SECURITY_PROTOCOL;
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  if (!tls) {
    for (const variable of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
      if (settings[variable])
        throw new ConfigError(variable, `needs KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL (it is ${protocol})`);
    }
  }
  if (!sasl && settings.KAFKA_SASL_MECHANISM)
    throw new ConfigError(
      'KAFKA_SASL_MECHANISM',
      `needs KAFKA_SECURITY_PROTOCOL=SASL_SSL or SASL_PLAINTEXT (it is ${protocol})`,
    );
  const warnings = [
    ...(protocol === 'SASL_PLAINTEXT'
      ? ['KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT: credentials and events cross the network unencrypted']
      : []),
    ...(tls && !settings.KAFKA_SSL_VERIFY_HOSTNAME
      ? ['KAFKA_SSL_VERIFY_HOSTNAME=false: a broker certificate issued for another host is accepted']
      : []),
  ];
  return {
    brokers: settings.KAFKA_BROKERS,
    ...(tls ? { ssl: tlsOptions(settings) } : {}),
    ...(sasl ? { sasl: saslOptions(settings, timeoutMs) } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}
