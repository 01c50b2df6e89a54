import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { deleteSubjects } from '../../../test/relay/harness.ts';
import { leadersElected } from '../../messaging/index.ts';
import { endpoints } from '../../../test/support/endpoints.ts';
import { uniqueName } from '../../../test/support/names.ts';
import { projectRoot } from '../../platform/paths/index.ts';
import { runCli } from '../run-cli.ts';

const prefix = `${uniqueName('cli')}.`;
let output: string[];
let errors: string[];
const saved = { ...process.env };

beforeEach(() => {
  output = [];
  errors = [];
  process.env.KAFKA_TOPIC_PREFIX = prefix;
  process.env.KAFKA_BROKERS = endpoints().kafkaBrokers.join(',');
  process.env.SCHEMA_REGISTRY_URL = endpoints().schemaRegistryUrl;
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

afterAll(() => deleteSubjects(prefix));

test('topology apply creates what is missing under the prefix, then reports a differing topic without changing it', async () => {
  const admin = new Kafka({ brokers: endpoints().kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    // Someone created the tenants topic by hand, with other settings.
    await admin.createTopics({
      topics: [{ topic: `${prefix}tenants.events`, numPartitions: 2 }],
      waitForLeaders: false,
    });
    await leadersElected(admin, [`${prefix}tenants.events`]);
    expect(await runCli(['topology', 'apply'])).toBe(0);
    expect(output).toContain(`created ${prefix}orders.events`);
    expect(output).toContain(`created ${prefix}orders.events.orders.dlq`);
    expect(output).toContain(`created ${prefix}tenants.events.tenants.dlq`);
    expect(output).toContain(
      `differs ${prefix}tenants.events: partitions is 2, the topology says 6 (left as it is)`,
    );
    const [orders] = (await admin.fetchTopicMetadata({ topics: [`${prefix}orders.events`] })).topics;
    expect(orders?.partitions).toHaveLength(12);

    output = [];
    expect(await runCli(['topology', 'apply'])).toBe(0);
    expect(output.filter((line) => line.startsWith('created'))).toEqual([]);
    expect(output).toContain(`ok ${prefix}orders.events`);
    const [tenants] = (await admin.fetchTopicMetadata({ topics: [`${prefix}tenants.events`] })).topics;
    expect(tenants?.partitions).toHaveLength(2);
  } finally {
    await admin.disconnect();
  }
});

test('schemas register puts every schema under <topic>-<record full name>; check passes, and refuses an incompatible change naming the field', async () => {
  expect(await runCli(['schemas', 'register'])).toBe(0);
  expect(output).toContainEqual(
    expect.stringMatching(
      new RegExp(
        `^registered ${prefix.replace('.', '\\.')}orders\\.events-eventline\\.orders\\.OrderPlaced \\(v1\\) id \\d+$`,
      ),
    ),
  );
  expect(await runCli(['schemas', 'check'])).toBe(0);
  expect(output.at(-1)).toMatch(/^schemas: \d+ compatible$/);

  const dir = mkdtempSync(join(tmpdir(), 'eventline-schemas-'));
  try {
    cpSync(join(projectRoot(), 'schemas'), dir, { recursive: true });
    const file = join(dir, 'orders', 'OrderPlaced.v1.avsc');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { fields: unknown[] };
    schema.fields.push({ name: 'salesChannel', type: 'string' });
    writeFileSync(file, JSON.stringify(schema));
    errors = [];
    expect(await runCli(['schemas', 'check', '--dir', dir])).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^eventline schemas check: incompatible: orders\/OrderPlaced\.v1\.avsc breaks .*OrderPlaced: field salesChannel: added without a default/,
    );

    // A compatible change (a default) passes.
    schema.fields.pop();
    schema.fields.push({ name: 'salesChannel', type: 'string', default: 'web' });
    writeFileSync(file, JSON.stringify(schema));
    expect(await runCli(['schemas', 'check', '--dir', dir])).toBe(0);

    // A record with no fields would be a 5-byte value on Kafka that common clients refuse.
    const delivered = join(dir, 'orders', 'OrderDelivered.v1.avsc');
    writeFileSync(delivered, JSON.stringify({ ...JSON.parse(readFileSync(delivered, 'utf8')), fields: [] }));
    errors = [];
    expect(await runCli(['schemas', 'check', '--dir', dir])).toBe(1);
    expect(errors).toEqual([
      expect.stringMatching(
        /^eventline schemas check: refused: orders\/OrderDelivered\.v1\.avsc: a record with no fields encodes to zero bytes/,
      ),
    ]);
    expect(await runCli(['schemas', 'register', '--dir', dir])).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad action is one line on stderr and a non-zero exit', async () => {
  expect(await runCli(['topology', 'destroy'])).toBe(2);
  expect(errors).toEqual(['eventline: unknown topology command "destroy" (see eventline topology --help)']);
});
