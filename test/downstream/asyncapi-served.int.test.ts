import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';
import { eventExamples } from '../../services/domain/event-examples.ts';
import { asyncApiDocument, loadAsyncApiSources } from '../../services/messaging/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';

// The gateway serves the AsyncAPI document on its API port, to anyone, as it serves
// /openapi.json: the topics named as this installation's relay publishes them.

const prefix = 'acme-eu.';
let db: TestDatabase;
let gateway: ServiceProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase('asyncapi');
  gateway = await startServiceProcess('gateway', {
    DATABASE_URL: db.appUrl,
    REDIS_URL: endpoints().redisUrl,
    ADMIN_TOKEN: `asyncapi-admin-${randomUUID()}`,
    KAFKA_TOPIC_PREFIX: prefix,
  });
});

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
});

test('GET /asyncapi.json and /asyncapi.yaml answer the document of the installation’s topics, unauthenticated', async () => {
  const expected = asyncApiDocument(await loadAsyncApiSources(prefix, eventExamples));
  const json = await fetch(`${gateway!.apiUrl}/asyncapi.json`);
  expect(json.status).toBe(200);
  expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await json.json()).toEqual(expected);

  const yaml = await fetch(`${gateway!.apiUrl}/asyncapi.yaml`);
  expect(yaml.status).toBe(200);
  expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
  const document = parse(await yaml.text()) as { channels: Record<string, { address: string }> };
  expect(document).toEqual(expected);
  expect(document.channels['orders.events']?.address).toBe(`${prefix}orders.events`);

  // Never on the ops port: it is the API's description.
  expect((await fetch(`${gateway!.opsUrl}/asyncapi.json`)).status).toBe(404);
});
