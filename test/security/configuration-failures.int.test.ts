/**
 * Issue #13: a secured connection configured wrongly stops the deployable at
 * start-up, exit 1, with one line on stderr naming the variable, never a
 * secret; SASL over plaintext starts, with a warning in its log.
 */
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('config');
});
afterAll(() => db.drop());

const relay = () => ({
  DATABASE_URL: db.relayUrl,
  KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
  SCHEMA_REGISTRY_URL: endpoints().schemaRegistryUrl,
});

test.each([
  [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'GSSAPI' }, 'KAFKA_SASL_MECHANISM'],
  [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }, 'KAFKA_SSL_CA_FILE'],
  [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' }, 'KAFKA_SASL_USERNAME'],
  [{ SCHEMA_REGISTRY_PASSWORD: 'registry-s3cret' }, 'SCHEMA_REGISTRY_USERNAME'],
  [
    { DATABASE_URL: 'postgres://eventline_relay_app:pg-s3cret@127.0.0.1/eventline?sslmode=verify-full' },
    'DATABASE_URL',
  ],
])('the relay given %p exits 1 with one line naming %s', async (settings, variable) => {
  const process = await startServiceProcess('relay', { ...relay(), ...settings }, { waitForHealth: false });
  expect(await process.exited).toBe(1);
  expect(process.output).toEqual([
    expect.stringMatching(new RegExp(`^eventline relay: invalid configuration: ${variable}: `)),
  ]);
  expect(process.output.join('')).not.toMatch(/s3cret/);
});

test('SASL over plaintext starts, and says at start-up that credentials cross the network in the clear', async () => {
  const projector = await startServiceProcess(
    'projector',
    {
      ...relay(),
      DATABASE_URL: db.projectorUrl,
      REDIS_URL: endpoints().redisUrl,
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: 'eventline',
      KAFKA_SASL_PASSWORD: 'plain-s3cret',
    },
    { waitForHealth: false },
  );
  try {
    const warning = await waitFor('the warning', () =>
      projector.output
        .map((line) => JSON.parse(line) as { level: string; msg: string })
        .find((entry) => entry.msg.startsWith('KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT')),
    );
    expect(warning.level).toBe('warn');
  } finally {
    await projector.stop();
  }
  expect(projector.output.join('')).not.toMatch(/s3cret/);
});
