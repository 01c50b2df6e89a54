import { jest } from '@jest/globals';
import { runCli } from '../../services/cli/run-cli.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import { projectionNamed } from '../../services/readmodels/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { guardedOrders } from './guarded-orders.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
const prefix = `${uniqueName('projreplay')}.`;
const dlq = `${prefix}orders.events.orders.dlq`;
const saved = { ...process.env };

// Before the fix: the orders projection refuses one customer's orders. The fix is the shipped code.
const shipped = projectionNamed('orders');
const refusing = guardedOrders((event) => {
  if (event.data.customerId === 'poison') throw new Error('this customer breaks the handler');
});

/** `eventline …` as an operator runs it against this test's database and topics: its exit code and stdout. */
async function eventline(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  try {
    return { code: await runCli(argv), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const orderIds = async () =>
  (await asOwner<{ order_id: string }>(db.adminUrl, 'SELECT order_id FROM readmodels.orders')).map(
    (row) => row.order_id,
  );

beforeAll(async () => {
  db = await createTestDatabase('projreplay');
  Object.assign(process.env, {
    ADMIN_DATABASE_URL: db.adminUrl,
    KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints().schemaRegistryUrl,
    KAFKA_TOPIC_PREFIX: prefix,
  });
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 2);
});

afterAll(async () => {
  process.env = saved;
  await projector?.close();
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('a parked event is listed, applied once by replay after the fix, and the model still equals its replay', async () => {
  projector = await startTestProjector(db, prefix, { only: ['orders'], projections: [refusing] });
  const [tenant, other] = workload.tenants as [never, never];
  await workload.order(tenant, 0);
  const poison = await workload.order(tenant, 1, 'poison');
  const after = await workload.order(tenant, 2);
  await workload.order(other, 3);
  await awaitCaughtUp(db.appUrl, workload.lastPosition, [refusing]);
  expect(await orderIds()).toContain(after);
  expect(await orderIds()).not.toContain(poison);

  const listed = await eventline('dlq', 'list', '--projection', 'orders');
  expect(listed.code).toBe(0);
  expect(listed.out).toHaveLength(1);
  expect(listed.out[0]?.split('\t')).toEqual([
    dlq,
    expect.stringMatching(new RegExp(`^${prefix.replaceAll('.', '\\.')}orders\\.events\\[\\d+\\]@\\d+$`)),
    expect.stringMatching(/^event [0-9a-f-]{36}$/),
    'OrderPlaced',
    `tenant ${tenant}`,
    'attempts 2',
    expect.stringMatching(/^parked \d{4}-/),
    'parked',
    'Error: this customer breaks the handler',
  ]);

  // The fix is deployed; events keep flowing while the operator replays.
  await projector.close();
  projector = await startTestProjector(db, prefix, { only: ['orders'] });
  const later = await workload.order(tenant, 4);
  const replayed = await eventline('dlq', 'replay', dlq);
  expect(replayed).toMatchObject({ code: 0, err: [] });
  expect(replayed.out.at(-1)).toBe(`${dlq}: 1 applied, 0 already replayed, 0 not recorded, 0 failed`);
  await awaitCaughtUp(db.appUrl, workload.lastPosition, [shipped]);
  expect(await orderIds()).toEqual(expect.arrayContaining([poison, after, later]));

  const again = await eventline('dlq', 'replay', dlq);
  expect(again.code).toBe(0);
  expect(again.out.at(-1)).toBe(`${dlq}: 0 applied, 1 already replayed, 0 not recorded, 0 failed`);
  const [placed] = await asOwner<{ items: unknown[] }>(
    db.adminUrl,
    `SELECT items FROM readmodels.orders WHERE order_id = '${poison}'`,
  );
  // Applied once; the item added to it while it was parked found no order then and stays lost (docs/projector.md).
  expect(placed?.items).toHaveLength(1);
  expect((await eventline('dlq', 'list')).out[0]).toMatch(/\treplayed \d{4}-[^\t]+\tError: this customer/);
  const [report] = await verifyAll(db, [shipped]);
  expect(report).toMatchObject({ consistent: true });
}, 120_000);

test('CLI misuse is one line on stderr and a non-zero exit', async () => {
  const unknownTopic = await eventline('dlq', 'replay', `${prefix}orders.events`);
  expect(unknownTopic.code).toBe(1);
  expect(unknownTopic.err).toEqual([
    expect.stringMatching(/^eventline dlq replay: .* is not a dead-letter topic/),
  ]);
  const noAction = await eventline('dlq');
  expect(noAction).toMatchObject({
    code: 2,
    err: ['eventline: dlq needs a command (see eventline dlq --help)'],
  });
  const noName = await eventline('dlq', 'list', '--projection');
  expect(noName).toMatchObject({
    code: 2,
    err: [expect.stringMatching(/Option '--projection <value>' argument missing/)],
  });
});
