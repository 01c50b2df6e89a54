import { projections as allProjections } from '../../services/readmodels/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { awaitCaughtUp, startTestProjector, startTestRelay } from './pipeline.ts';
import { Workload } from './workload.ts';

// Issue #21: a projector reading records of events that a restore took from the store says so on
// /ready rather than serving them silently (docs/recovery.md).

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
const prefix = `${uniqueName('projrestored')}.`;
const orders = allProjections.filter((projection) => projection.name === 'orders');

interface ReadyReport {
  status: string;
  checks: Record<string, { status: string; error?: string }>;
}

async function ready(): Promise<ReadyReport> {
  return (await (await fetch(`http://127.0.0.1:${projector?.port}/ready`)).json()) as ReadyReport;
}

beforeAll(async () => {
  db = await createTestDatabase('projrestored');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 1);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('a record whose event the store lost turns /ready degraded naming it, and is counted', async () => {
  const [tenant] = workload.tenants as [never];
  projector = await startTestProjector(db, prefix, { only: ['orders'] });
  await workload.order(tenant, 0);
  await awaitCaughtUp(db.appUrl, workload.lastPosition, orders);
  await waitFor('/ready ok', async () => ((await ready()).status === 'ok' ? true : undefined));
  await projector.close();
  projector = undefined;

  // Published while the projector is away, then taken from the store as a point-in-time restore would.
  await workload.order(tenant, 1);
  const lost = workload.lastPosition.get(tenant);
  await waitFor('the relay to publish it', async () => {
    const [row] = await asOwner<{ n: number }>(db.adminUrl, 'SELECT count(*)::int AS n FROM outbox');
    return row?.n === 0 ? true : undefined;
  });
  await asOwner(db.adminUrl, 'ALTER TABLE events DISABLE TRIGGER events_are_append_only_rows');
  await asOwner(db.adminUrl, 'DELETE FROM events WHERE global_position = $1', [lost]);
  await asOwner(db.adminUrl, 'ALTER TABLE events ENABLE TRIGGER events_are_append_only_rows');

  projector = await startTestProjector(db, prefix, { only: ['orders'] });
  const degraded = await waitFor(
    'the lost event to show on /ready',
    async () => {
      const report = await ready();
      return report.checks['store-vs-kafka']?.status === 'down' ? report : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  expect(degraded.status).toBe('degraded');
  expect(degraded.checks['store-vs-kafka']?.error).toMatch(
    new RegExp(
      `^read 1 record\\(s\\) whose events the store does not hold, first .*global position ${lost}: `,
    ),
  );
  const metrics = await (await fetch(`http://127.0.0.1:${projector.port}/metrics`)).text();
  expect(metrics).toMatch(/^eventline_projector_records_not_in_store_total\{projection="orders"[^}]*\} 1$/m);
}, 120_000);
