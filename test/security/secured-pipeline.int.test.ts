/**
 * Issue #13: the whole pipeline over secured connections, as an operator
 * configures it from documented variables: the gateway on PostgreSQL with
 * verify-full and Redis over TLS as an ACL user; the relay on Kafka over
 * SASL_SSL (SCRAM-SHA-512) and the registry over TLS with basic auth; the
 * projector on Kafka over mutual TLS, the registry with a bearer token, Redis
 * over TLS; topics and schemas applied by the CLI over OAUTHBEARER and the
 * registry's bearer token; the event read back over SASL_SSL with PLAIN. The
 * passwords reach the processes through *_FILE variables and none of them
 * appears in anything the processes wrote.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectKafka, kafkaConnection, kafkaEnv } from '../../services/messaging/index.ts';
import { loadConfig } from '../../services/platform/config/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { securedEndpoints, withDatabase } from '../support/secured-endpoints.ts';
import { readinessOf, type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const secure = securedEndpoints();
const prefix = `${uniqueName('secured')}.`;
const adminToken = `secured-admin-${uniqueName('token')}`;
const secrets = [
  secure.scram.password,
  secure.plain.password,
  secure.oauth.clientSecret,
  secure.registry.password,
  secure.registry.token,
  secure.redis.password,
  adminToken,
];

let db: TestDatabase;
let secretsDir: string;
const processes: ServiceProcess[] = [];

/** A secret as a file only its owner reads, as a mounted Kubernetes Secret. */
function secretFile(name: string, value: string): string {
  const path = join(secretsDir, name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
}

const redisOverTls = () => ({
  REDIS_URL: secure.redisUrl,
  REDIS_USERNAME: secure.redis.username,
  REDIS_PASSWORD_FILE: secretFile('redis-password', secure.redis.password),
  REDIS_CA_FILE: secure.caFile,
});

const oauthKafka = () => ({
  KAFKA_BROKERS: secure.saslSslBrokers,
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SSL_CA_FILE: secure.caFile,
  KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
  KAFKA_OAUTH_TOKEN_URL: secure.oauth.tokenUrl,
  KAFKA_OAUTH_CLIENT_ID: secure.oauth.clientId,
  KAFKA_OAUTH_CLIENT_SECRET_FILE: secretFile('oauth-secret', secure.oauth.clientSecret),
});

const bearerRegistry = () => ({
  SCHEMA_REGISTRY_URL: secure.registryUrl,
  SCHEMA_REGISTRY_BEARER_TOKEN_FILE: secretFile('registry-token', secure.registry.token),
  SCHEMA_REGISTRY_CA_FILE: secure.caFile,
});

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [join(projectRoot(), 'dist/services/cli/main.js'), ...args],
    {
      env: { PATH: process.env.PATH ?? '', KAFKA_TOPIC_PREFIX: prefix, ...oauthKafka(), ...bearerRegistry() },
    },
  );
  return stdout;
}

beforeAll(async () => {
  secretsDir = mkdtempSync(join(tmpdir(), 'eventline-secrets-'));
  db = await createTestDatabase('secured');
  expect(await cli('topology', 'apply')).toMatch(/topology: \d+ created/);
  expect(await cli('schemas', 'register')).toMatch(/schemas: \d+ registered/);
});

afterAll(async () => {
  await Promise.all(processes.map((each) => each.stop()));
  await db?.drop();
  rmSync(secretsDir, { recursive: true, force: true });
});

test('a command travels gateway → relay (SASL_SSL SCRAM) → projector (mutual TLS) → query, every hop secured', async () => {
  const gateway = await startServiceProcess('gateway', {
    DATABASE_URL: withDatabase(secure.databaseUrl, db.name),
    ADMIN_TOKEN_FILE: secretFile('admin-token', adminToken),
    ...redisOverTls(),
  });
  processes.push(gateway);
  const relay = await startServiceProcess('relay', {
    DATABASE_URL: withDatabase(secure.relayDatabaseUrl, db.name),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_BROKERS: secure.saslSslBrokers,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_FILE: secure.caFile,
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: secure.scram.username,
    KAFKA_SASL_PASSWORD_FILE: secretFile('scram-password', secure.scram.password),
    SCHEMA_REGISTRY_URL: secure.registryUrl,
    SCHEMA_REGISTRY_USERNAME: secure.registry.username,
    SCHEMA_REGISTRY_PASSWORD_FILE: secretFile('registry-password', secure.registry.password),
    SCHEMA_REGISTRY_CA_FILE: secure.caFile,
  });
  processes.push(relay);
  const projector = await startServiceProcess('projector', {
    DATABASE_URL: withDatabase(secure.projectorDatabaseUrl, db.name),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_BROKERS: secure.mtlsBrokers,
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_SSL_CA_FILE: secure.caFile,
    KAFKA_SSL_CERT_FILE: secure.clientCertFile,
    KAFKA_SSL_KEY_FILE: secure.clientKeyFile,
    ...bearerRegistry(),
    ...redisOverTls(),
  });
  processes.push(projector);

  for (const service of [gateway, relay, projector]) {
    const report = await readinessOf(service, (each) => each.status === 'ok');
    expect(report).toMatchObject({ status: 'ok' });
  }

  const api = gateway.apiUrl as string;
  const tenant = await call(api, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${adminToken}` },
    body: { name: 'Secured', plan: 'pro' },
  });
  expect(tenant.status).toBe(201);
  const placed = await call(api, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': String(tenant.body.apiKey) },
    body: {
      type: 'PlaceOrder',
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'a', quantity: 2, unitPrice: 3 }] },
    },
  });
  expect(placed.status).toBe(201);
  const order = await call(api, 'POST', '/api/v1/queries/execute', {
    headers: {
      'x-api-key': String(tenant.body.apiKey),
      'x-min-position': String(placed.body.position),
      'x-wait-timeout-ms': '30000',
    },
    body: { type: 'GetOrder', params: { orderId: placed.body.aggregateId } },
  });
  expect(order.status).toBe(200);
  expect(order.body.data).toMatchObject({ orderId: placed.body.aggregateId, status: 'placed' });

  // Read back over the SASL_SSL listener with another mechanism: the event the relay published.
  const reader = connectKafka({
    connection: kafkaConnection(
      loadConfig(kafkaEnv, {
        KAFKA_BROKERS: secure.saslSslBrokers,
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SSL_CA_FILE: secure.caFile,
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: secure.plain.username,
        KAFKA_SASL_PASSWORD: secure.plain.password,
      }),
      10_000,
    ),
    clientId: 'secured-test',
  }).consumer({ groupId: uniqueName('secured-reader') });
  const eventIds: string[] = [];
  await reader.connect();
  try {
    await reader.subscribe({ topic: `${prefix}orders.events`, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => void eventIds.push(String(message.headers?.['event-id'])),
    });
    await waitFor('the event on orders.events', () => (eventIds.length > 0 ? true : undefined), {
      timeoutMs: 30_000,
    });
  } finally {
    await reader.disconnect();
  }
  expect(eventIds).toEqual(placed.body.eventIds);

  for (const service of [gateway, relay, projector]) expect(await service.stop()).toBe(0);
  const written = processes.flatMap((each) => each.output).join('\n');
  for (const secret of secrets) expect(written.includes(secret)).toBe(false);
});
