import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { z } from 'zod';
import { ConfigError, DEFAULT_NETWORK_TIMEOUTS, env } from '../platform/config/index.ts';

/** The variables that say where the schema registry is and how to authenticate to it (docs/contracts.md §2). */
export const registryEnv = {
  SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL,
  SCHEMA_REGISTRY_USERNAME: env.SCHEMA_REGISTRY_USERNAME,
  SCHEMA_REGISTRY_PASSWORD: env.SCHEMA_REGISTRY_PASSWORD,
  SCHEMA_REGISTRY_BEARER_TOKEN: env.SCHEMA_REGISTRY_BEARER_TOKEN,
  SCHEMA_REGISTRY_CA_FILE: env.SCHEMA_REGISTRY_CA_FILE,
};

export type RegistrySettings = z.infer<z.ZodObject<typeof registryEnv>>;

/** The registry's Confluent-compatible API and the credentials and trust its calls use. */
export interface RegistryConnection {
  readonly url: string;
  readonly basic?: { readonly username: string; readonly password: string };
  readonly bearerToken?: string;
  /** A CA bundle for an https registry whose certificate the system's CAs do not sign. */
  readonly ca?: string;
}

/** Checks the registry settings go together; a ConfigError names the one that does not. */
export function registryConnection(settings: RegistrySettings): RegistryConnection {
  const { SCHEMA_REGISTRY_USERNAME: username, SCHEMA_REGISTRY_PASSWORD: password } = settings;
  if (username && !password)
    throw new ConfigError('SCHEMA_REGISTRY_PASSWORD', 'is required with SCHEMA_REGISTRY_USERNAME');
  if (password && !username)
    throw new ConfigError('SCHEMA_REGISTRY_USERNAME', 'is required with SCHEMA_REGISTRY_PASSWORD');
  if (username && settings.SCHEMA_REGISTRY_BEARER_TOKEN)
    throw new ConfigError(
      'SCHEMA_REGISTRY_BEARER_TOKEN',
      'set either it or SCHEMA_REGISTRY_USERNAME, not both',
    );
  if (settings.SCHEMA_REGISTRY_CA_FILE && !settings.SCHEMA_REGISTRY_URL.startsWith('https:'))
    throw new ConfigError('SCHEMA_REGISTRY_CA_FILE', 'needs an https:// SCHEMA_REGISTRY_URL');
  return {
    url: settings.SCHEMA_REGISTRY_URL,
    ...(username && password ? { basic: { username, password } } : {}),
    ...(settings.SCHEMA_REGISTRY_BEARER_TOKEN ? { bearerToken: settings.SCHEMA_REGISTRY_BEARER_TOKEN } : {}),
    ...(settings.SCHEMA_REGISTRY_CA_FILE ? { ca: settings.SCHEMA_REGISTRY_CA_FILE.pem } : {}),
  };
}

// One agent per connection: its TLS sessions and sockets are reused by every call.
const agents = new WeakMap<RegistryConnection, Agent>();
function agentOf(connection: RegistryConnection): Agent | undefined {
  if (!connection.ca) return undefined;
  let agent = agents.get(connection);
  if (!agent) {
    agent = new Agent({ ca: connection.ca, keepAlive: true });
    agents.set(connection, agent);
  }
  return agent;
}

function authorization(connection: RegistryConnection): string | undefined {
  if (connection.bearerToken) return `Bearer ${connection.bearerToken}`;
  if (connection.basic)
    return `Basic ${Buffer.from(`${connection.basic.username}:${connection.basic.password}`).toString('base64')}`;
  return undefined;
}

type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** Every registry call gets a deadline: the client (mappersmith) waits for ever without one. */
function deadline(timeoutMs: number): RegistryMiddleware {
  return () => ({
    prepareRequest: async (next) => (await next()).enhance({ timeout: timeoutMs }),
  });
}

function bearer(token: string): RegistryMiddleware {
  return () => ({
    prepareRequest: async (next) => (await next()).enhance({ headers: { authorization: `Bearer ${token}` } }),
  });
}

/** The registry client the codec and the CLI use, with the connection's credentials, CA and a deadline. */
export function schemaRegistry(
  connection: RegistryConnection,
  timeoutMs = DEFAULT_NETWORK_TIMEOUTS.registryMs,
): SchemaRegistry {
  const agent = agentOf(connection);
  // The client's own retries stay short: the caller's circuit breaker and backoff govern outages.
  // Writes are retried too (the client retries only GETs by default): registering a schema and
  // setting a subject's compatibility are idempotent, and a proxy in front of the registry can
  // answer 502 for a registration the registry made (seen with nginx before Apicurio).
  return new SchemaRegistry({
    host: connection.url,
    retry: { retries: 1, maxRetryTimeInSecs: 1, enableRetry: () => true },
    ...(connection.basic ? { auth: connection.basic } : {}),
    ...(agent ? { agent } : {}),
    middlewares: [deadline(timeoutMs), ...(connection.bearerToken ? [bearer(connection.bearerToken)] : [])],
  });
}

/**
 * One call of the registry's Confluent API outside the client (which lacks
 * compatibility checks and a plain config read), with the same credentials
 * and trust. Resolves with any HTTP status; rejects on a network failure or
 * the deadline.
 */
export function registryRequest(
  connection: RegistryConnection,
  path: string,
  options: { method?: 'GET' | 'POST'; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ status: number; body: unknown }> {
  const target = new URL(`${connection.url.replace(/\/$/, '')}${path}`);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const auth = authorization(connection);
  const agent = agentOf(connection);
  return new Promise((resolve, reject) => {
    const outgoing = send(
      target,
      {
        method: options.method ?? 'GET',
        headers: {
          accept: 'application/vnd.schemaregistry.v1+json, application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' }),
          ...(auth ? { authorization: auth } : {}),
        },
        ...(agent ? { agent } : {}),
        timeout: options.timeoutMs ?? DEFAULT_NETWORK_TIMEOUTS.registryMs,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // An error page from a proxy in front of the registry: kept as text.
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`the registry did not answer ${path} in time`)));
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
