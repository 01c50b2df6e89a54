import { openDatabase } from '../../services/platform/database/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import { ReadModelQueries } from '../../services/readmodels/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { awaitCaughtUp, eventStoreOn, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
const prefix = `${uniqueName('proj')}.`;

beforeAll(async () => {
  db = await createTestDatabase('projector');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 3);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('commands become read models that equal a replay of the event store, checkpointed per partition', async () => {
  await workload.createTenants();
  await workload.run(6);
  projector = await startTestProjector(db, prefix);
  await workload.run(3, 6);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);

  const reports = await verifyAll(db);
  for (const report of reports) {
    expect(report).toMatchObject({ consistent: true });
    expect(report.eventsReplayed).toBeGreaterThan(0);
  }

  const checkpoints = await asOwner<{ projection: string; next_offset: string }>(
    db.adminUrl,
    'SELECT projection, sum(next_offset)::text AS next_offset FROM readmodels.checkpoints WHERE next_offset >= 0 GROUP BY projection',
  );
  const events = await asOwner<{ context: string; n: string }>(
    db.adminUrl,
    "SELECT CASE WHEN stream_type = 'Tenant' THEN 'tenants' ELSE 'orders' END AS context, count(*)::text AS n FROM events GROUP BY 1",
  );
  const count = (context: string) => events.find((row) => row.context === context)?.n;
  // Every event of a topic is past its projection's checkpoints (offsets start at 0 in fresh topics).
  expect(Object.fromEntries(checkpoints.map((row) => [row.projection, row.next_offset]))).toEqual({
    orders: count('orders'),
    customer_order_stats: count('orders'),
    tenant_stats: count('orders'),
    tenants: count('tenants'),
  });

  const pool = await openDatabase(db.appUrl, { maximumPoolSize: 2 });
  const queries = new ReadModelQueries(pool, await eventStoreOn(pool));
  const tenant = workload.tenants[0]!;
  try {
    const pages: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page = (await queries.execute(tenant, {
        type: 'ListOrders',
        params: { limit: 4, ...(cursor ? { cursor } : {}) },
      })) as { data: { items: { orderId: string }[]; nextCursor: string | null } };
      pages.push(...page.data.items);
      cursor = page.data.nextCursor;
    } while (cursor);
    expect(pages).toHaveLength(9);
    const order = (pages[0] as { orderId: string }).orderId;
    const one = await queries.execute(tenant, { type: 'GetOrder', params: { orderId: order } });
    // Newest first: order n=8 (8 % 3 = 2: cancelled; 8 % 4 = 0: USD).
    expect(one.data).toMatchObject({ orderId: order, status: 'cancelled', currency: 'USD', version: 3 });
    expect(one.position).toBe(workload.lastPosition.get(tenant));
    const cancelled = await queries.execute(tenant, { type: 'ListOrders', params: { status: 'cancelled' } });
    expect((cancelled.data as { items: unknown[] }).items).toHaveLength(3);
    const stats = await queries.execute(tenant, { type: 'GetTenantStats', params: {} });
    expect(stats.data).toMatchObject({ ordersByStatus: { placed: 3, delivered: 3, cancelled: 3 } });
    const info = await queries.execute(tenant, { type: 'GetTenant', params: {} });
    expect(info.data).toMatchObject({ tenantId: tenant, name: 'renamed-7', status: 'active', plan: 'pro' });
    // Another tenant's order reads as missing.
    await expect(
      queries.execute(workload.tenants[1]!, { type: 'GetOrder', params: { orderId: order } }),
    ).rejects.toMatchObject({ kind: 'not-found' });
    await expect(
      queries.execute(tenant, { type: 'ListOrders', params: { limit: 500 } }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      issues: [expect.objectContaining({ path: '/params/limit' })],
    });
  } finally {
    await pool.end();
  }

  const metrics = await (await fetch(`http://127.0.0.1:${projector.port}/metrics`)).text();
  expect(metrics).toMatch(
    /eventline_projector_events_applied_total\{projection="orders",component="projector"\} [1-9]/,
  );
  expect((await (await fetch(`http://127.0.0.1:${projector.port}/ready`)).json()) as unknown).toMatchObject({
    status: 'ok',
  });
}, 150_000);
