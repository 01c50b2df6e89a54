import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { createRegistryDatabase, startRegistryInstance } from '../support/registry-instance.ts';

const ORDER_PLACED = join(process.cwd(), 'schemas/orders/OrderPlaced.v1.avsc');
// The personal-data fields (null here) are in OrderPlaced since issue #17; decoding gives them back.
const order = {
  customerId: 'c-1',
  customerEmail: null,
  shippingAddress: null,
  currency: 'EUR',
  items: [{ sku: 'sku-1', quantity: 2, unitPrice: 9.5 }],
};

async function orderPlacedSchema(): Promise<string> {
  return readFile(ORDER_PLACED, 'utf8');
}

const subjects: string[] = [];

/** The subject naming of docs/contracts.md §8 (TopicRecordNameStrategy), on a topic of this test's own. */
function subjectFor(topic: string): string {
  const subject = `${topic}-eventline.orders.OrderPlaced`;
  subjects.push(subject);
  return subject;
}

afterAll(async () => {
  const base = endpoints().schemaRegistryUrl;
  for (const subject of subjects) {
    const url = `${base}/subjects/${encodeURIComponent(subject)}`;
    await fetch(url, { method: 'DELETE' });
    await fetch(`${url}?permanent=true`, { method: 'DELETE' });
  }
});

test('a schema from schemas/ registers, and a value round-trips in the Confluent wire format', async () => {
  const registry = new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
  const subject = subjectFor(uniqueName('orders'));
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: await orderPlacedSchema() },
    { subject },
  );

  const encoded = await registry.encode(id, order);
  expect(encoded[0]).toBe(0);
  expect(encoded.readInt32BE(1)).toBe(id);
  expect(await registry.decode(encoded)).toEqual(order);
  expect(
    await registry.getRegistryIdBySchema(subject, {
      type: SchemaType.AVRO,
      schema: await orderPlacedSchema(),
    }),
  ).toBe(id);
});

test('an incompatible change is refused under BACKWARD compatibility, a compatible one accepted', async () => {
  const registry = new SchemaRegistry({ host: endpoints().schemaRegistryUrl });
  const subject = subjectFor(uniqueName('orders'));
  const v1 = JSON.parse(await orderPlacedSchema());
  await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });

  const withRequiredField = { ...v1, fields: [...v1.fields, { name: 'channel', type: 'string' }] };
  await expect(
    registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(withRequiredField) }, { subject }),
    // The registry's compatibility refusal (409, naming the field), not a failure of any other kind.
  ).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/Incompatible artifact.*channel/) });

  const withDefaultedField = {
    ...v1,
    fields: [...v1.fields, { name: 'channel', type: 'string', default: 'web' }],
  };
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(withDefaultedField) },
    { subject },
  );
  expect(await registry.decode(await registry.encode(id, { ...order, channel: 'api' }))).toEqual({
    ...order,
    channel: 'api',
  });
});

test('a schema id still resolves after the registry restarts, since storage is PostgreSQL', async () => {
  const database = await createRegistryDatabase(uniqueName('registry'));
  try {
    const subject = subjectFor(uniqueName('orders'));

    const before = await startRegistryInstance(database);
    let id: number;
    let encoded: Buffer;
    try {
      const registry = new SchemaRegistry({ host: before.url });
      ({ id } = await registry.register(
        { type: SchemaType.AVRO, schema: await orderPlacedSchema() },
        { subject },
      ));
      encoded = await registry.encode(id, order);
    } finally {
      await before.stop();
    }

    const after = await startRegistryInstance(database);
    try {
      const registry = new SchemaRegistry({ host: after.url });
      expect(JSON.parse(JSON.stringify(await registry.getSchema(id)))).toBeTruthy();
      expect(await registry.decode(encoded)).toEqual(order);
      expect(await registry.getLatestSchemaId(subject)).toBe(id);
    } finally {
      await after.stop();
    }
  } finally {
    await database.drop();
  }
}, 240_000);
