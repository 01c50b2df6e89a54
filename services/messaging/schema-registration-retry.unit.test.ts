import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSchemas } from '../avro/index.ts';
import { projectRoot } from '../platform/paths/index.ts';
import { schemaRegistry } from './registry-connection.ts';
import { type RegistrationRetry, registerSchemas } from './schema-catalog.ts';

// A stand-in for the registry's network faults (a pause, a 5xx, a verdict), which the
// real registry cannot be made to show on cue; test/relay registers against the real one.
type Registration = (response: ServerResponse) => void;

async function withRegistry(
  registrations: readonly Registration[],
  run: (url: string, posted: () => number) => Promise<void>,
): Promise<void> {
  let posts = 0;
  const held: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    const json = (status: number, body: unknown) => response.writeHead(status).end(JSON.stringify(body));
    if (request.method === 'GET') return json(404, { error_code: 40401, message: 'no subject' });
    if (request.method === 'PUT') return json(200, { compatibility: 'BACKWARD' });
    const answer = registrations[posts++] ?? ((late: ServerResponse) => late.writeHead(200).end('{"id":42}'));
    answer(response);
    held.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await run(`http://127.0.0.1:${port}`, () => posts);
  } finally {
    for (const response of held) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const silent: Registration = () => {};
const unavailable: Registration = (response) => response.writeHead(503).end('{"message":"starting"}');
const incompatible: Registration = (response) =>
  response.writeHead(409).end('{"error_code":409,"message":"incompatible"}');

let dir: string;
let schemas: EventSchemas;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventline-schemas-'));
  await mkdir(join(dir, 'orders'));
  await copyFile(
    join(projectRoot(), 'schemas/orders/OrderCancelled.v1.avsc'),
    join(dir, 'orders/OrderCancelled.v1.avsc'),
  );
  schemas = await EventSchemas.load(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('given a registry that does not answer a registration twice, when schemas are registered, then it is tried again and registered', async () => {
  await withRegistry([silent, silent, unavailable], async (url) => {
    const retries: RegistrationRetry[] = [];
    const registered = await registerSchemas(schemaRegistry({ url }, 200), schemas, 'test.', (retry) =>
      retries.push(retry),
    );
    expect(registered).toEqual([
      { subject: 'test.orders.events-eventline.orders.OrderCancelled', version: 1, id: 42 },
    ]);
    // The client repeats a call once itself; what it gives up on is tried again here.
    expect(retries[0]).toMatchObject({
      subject: 'test.orders.events-eventline.orders.OrderCancelled',
      attempt: 1,
      reason: expect.stringContaining('Timeout (200ms)'),
    });
    expect(retries.length).toBeGreaterThanOrEqual(1);
  });
});

test('given a registry that refuses a schema, when schemas are registered, then it fails at once naming the file and subject', async () => {
  await withRegistry([incompatible], async (url, posted) => {
    const retries: RegistrationRetry[] = [];
    await expect(
      registerSchemas(schemaRegistry({ url }, 200), schemas, 'test.', (retry) => retries.push(retry)),
    ).rejects.toThrow(
      'orders/OrderCancelled.v1.avsc under test.orders.events-eventline.orders.OrderCancelled: Confluent_Schema_Registry - incompatible',
    );
    expect(retries).toEqual([]);
    expect(posted()).toBe(1);
  });
});
