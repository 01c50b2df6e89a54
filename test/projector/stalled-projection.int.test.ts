import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects, javaPartition } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay } from './pipeline.ts';
import { guardedOrders } from './guarded-orders.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
let partitions: Map<string, number>;
const prefix = `${uniqueName('projstall')}.`;

// The orders projection, except that one customer's order blocks its handler until the test lets it go.
let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));
const blocking = guardedOrders(async (event) => {
  if (event.data.customerId === 'stuck') await released;
});

interface ReadyReport {
  status: string;
  checks: Record<string, { status: string; error?: string }>;
}

async function ready(): Promise<ReadyReport> {
  const answer = await fetch(`http://127.0.0.1:${projector?.port}/ready`);
  return (await answer.json()) as ReadyReport;
}

beforeAll(async () => {
  db = await createTestDatabase('projstall');
  partitions = await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 1);
});

afterAll(async () => {
  release();
  await projector?.close();
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('a projection with records behind and no progress turns /ready degraded naming it and its partition', async () => {
  projector = await startTestProjector(db, prefix, {
    only: ['orders'],
    projections: [blocking],
    stallAfterMs: 1_500,
  });
  const [tenant] = workload.tenants as [never];
  await workload.order(tenant, 0);
  await awaitCaughtUp(db.appUrl, workload.lastPosition, [blocking]);
  expect(await ready()).toMatchObject({ status: 'ok' });

  const topic = `${prefix}orders.events`;
  const partition = javaPartition(topic, tenant, partitions.get(topic) ?? 0);
  await workload.order(tenant, 1, 'stuck');
  const degraded = await waitFor(
    'the stall to show on /ready',
    async () => {
      const report = await ready();
      return report.status === 'degraded' ? report : undefined;
    },
    { timeoutMs: 8_000, intervalMs: 200 },
  );
  expect(degraded.checks['projection:orders']).toEqual({
    status: 'down',
    error: expect.stringMatching(
      new RegExp(
        `^projection orders stalled: .* in ${topic.replaceAll('.', '\\.')}\\[${partition}\\] for \\d+ s$`,
      ),
    ),
  });
  expect(degraded.checks.postgres).toMatchObject({ status: 'up' });

  release();
  await awaitCaughtUp(db.appUrl, workload.lastPosition, [blocking]);
  await waitFor('/ready to clear', async () => ((await ready()).status === 'ok' ? true : undefined), {
    timeoutMs: 5_000,
    intervalMs: 200,
  });
  const metrics = await (await fetch(`http://127.0.0.1:${projector.port}/metrics`)).text();
  expect(metrics).toMatch(
    new RegExp(
      `eventline_projector_lag_seconds\\{projection="orders",topic="${topic}",partition="${partition}"`,
    ),
  );
}, 60_000);
