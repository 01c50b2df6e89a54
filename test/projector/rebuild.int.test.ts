import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import type { DatabasePool } from 'slonik';
import { runCli } from '../../services/cli/run-cli.ts';
import type { EventStore } from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import type { RunningProjector } from '../../services/projector/index.ts';
import {
  projectionNamed,
  type RebuildOptions,
  ReadModelQueries,
  rebuildProjection,
} from '../../services/readmodels/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { awaitCaughtUp, eventStoreOn, startTestProjector, startTestRelay, verifyAll } from './pipeline.ts';
import { metricSeries, sigkill } from './projector-process.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
let owner: DatabasePool;
let events: EventStore;
const prefix = `${uniqueName('rebuild')}.`;

beforeAll(async () => {
  db = await createTestDatabase('rebuild');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 3);
  owner = await openDatabase(db.adminUrl, { maximumPoolSize: 2, statementTimeoutMs: 3_600_000 });
  events = await eventStoreOn(owner);
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload.close();
  await owner.end();
  await db.drop();
  await deleteSubjects(prefix);
});

/** Commands keep flowing, one order at a time, the tenants in turn, until stopped. */
function keepCommanding(from: number): { stop: () => Promise<number> } {
  let running = true;
  let next = from;
  const done = (async () => {
    while (running) {
      for (const tenant of workload.tenants) await workload.order(tenant, next);
      next++;
    }
  })();
  // A failure surfaces when stopped, in the test's own flow.
  done.catch(() => undefined);
  return {
    async stop() {
      running = false;
      await done;
      return next;
    },
  };
}

/**
 * Queries as the gateway runs them, in a loop: none may fail, and what a tenant
 * sees never goes back (its order count only grows, an order's version too).
 */
function keepQuerying(tenants: readonly TenantId[]) {
  let running = true;
  let answered = 0;
  const counts = new Map<TenantId, number>();
  const versions = new Map<string, number>();
  const done = (async () => {
    const pool = await openDatabase(db.appUrl, { maximumPoolSize: 2 });
    const queries = new ReadModelQueries(pool, await eventStoreOn(pool));
    try {
      while (running) {
        for (const tenant of tenants) {
          const stats = await queries.execute(tenant, { type: 'GetTenantStats', params: {} });
          const byStatus = (stats.data as { ordersByStatus: Record<string, number> }).ordersByStatus;
          const count = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
          if (count < (counts.get(tenant) ?? 0))
            throw new Error(`${tenant}: ${count} orders after ${counts.get(tenant)}`);
          counts.set(tenant, count);
          const listed = await queries.execute(tenant, { type: 'ListOrders', params: { limit: 100 } });
          for (const order of (listed.data as { items: { orderId: string; version: number }[] }).items) {
            if (order.version < (versions.get(order.orderId) ?? 0)) {
              throw new Error(`order ${order.orderId} went back to version ${order.version}`);
            }
            versions.set(order.orderId, order.version);
          }
          answered++;
        }
      }
    } finally {
      await pool.end();
    }
  })();
  done.catch(() => undefined);
  return {
    async stop() {
      running = false;
      await done;
      return answered;
    },
  };
}

async function rebuildState(projection: string) {
  const [row] = await asOwner<{ state: string; events_applied: string; pass: number }>(
    db.adminUrl,
    'SELECT state, events_applied::text AS events_applied, pass FROM readmodels.rebuilds WHERE projection = $1',
    [projection],
  );
  return row;
}

test('rebuilt while commands flow: queries never fail nor go back, an interrupted rebuild resumes, verify passes', async () => {
  projector = await startTestProjector(db, prefix);
  await workload.createTenants();
  await workload.run(8);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);

  const commands = keepCommanding(8);
  const reads = keepQuerying(workload.tenants);
  const orders = projectionNamed('orders');
  // Small pages, so the rebuild takes many transactions while commands keep landing.
  const small: RebuildOptions = { events, pageSize: 20, handOverBelow: 20 };

  const stop = new AbortController();
  let pages = 0;
  await expect(
    rebuildProjection(owner, orders, {
      ...small,
      signal: stop.signal,
      onProgress: () => {
        if (++pages === 3) stop.abort(new Error('interrupted'));
      },
    }),
  ).rejects.toThrow('interrupted');
  const interrupted = await rebuildState('orders');
  expect(interrupted).toMatchObject({ state: 'building' });
  expect(Number(interrupted?.events_applied)).toBeGreaterThan(0);

  const progress: number[] = [];
  const report = await rebuildProjection(owner, orders, {
    ...small,
    onProgress: (at) => progress.push(at.eventsApplied),
  });
  expect(report).toMatchObject({ projection: 'orders', resumed: true });
  // Resumed from where the interrupted run stopped, not from the start.
  expect(progress[0]).toBeGreaterThanOrEqual(Number(interrupted?.events_applied));
  expect(await rebuildState('orders')).toMatchObject({ state: 'swapped' });

  // A projection without a bulk apply, over three tables, through its handlers.
  const stats = await rebuildProjection(owner, projectionNamed('tenant_stats'), { events, pageSize: 40 });
  expect(stats.resumed).toBe(false);

  const last = await commands.stop();
  await workload.run(2, last);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  expect(await reads.stop()).toBeGreaterThan(0);

  for (const report of await verifyAll(db)) expect(report).toMatchObject({ consistent: true });
  // The swapped-in tables carry the live ones' indexes, policies and grants.
  expect(report.pass).toBeGreaterThan(1);
  const definitions = await asOwner<{ what: string }>(
    db.adminUrl,
    `SELECT 'index ' || indexname AS what FROM pg_indexes WHERE schemaname = 'readmodels' AND tablename = 'orders'
     UNION ALL SELECT 'policy ' || policyname || ' ' || array_to_string(roles, ',') FROM pg_policies
      WHERE schemaname = 'readmodels' AND tablename = 'orders'
     UNION ALL SELECT 'grant ' || grantee || ' ' || privilege_type FROM information_schema.role_table_grants
      WHERE table_schema = 'readmodels' AND table_name = 'orders' AND grantee LIKE 'eventline_%'
        AND grantee <> 'eventline_admin'
     UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname LIKE 'readmodels_rebuild_%'
     ORDER BY 1`,
  );
  expect(definitions.map((row) => row.what)).toEqual([
    'grant eventline_projector DELETE',
    'grant eventline_projector INSERT',
    'grant eventline_projector SELECT',
    'grant eventline_projector UPDATE',
    'grant eventline_service SELECT',
    'index orders_by_customer',
    'index orders_by_status',
    'index orders_newest_first',
    'index orders_pkey',
    'policy projector_writes_every_tenant eventline_projector',
    'policy tenant_isolation eventline_service',
  ]);

  const ratio = await metricSeries(projector.port, 'eventline_projector_rebuild_progress_ratio');
  expect(ratio.get('projection="orders",component="projector"')).toBe(1);
}, 240_000);

test('a projection new to the database is built from the event store on first start, then consumes', async () => {
  await projector?.close();
  await asOwner(db.adminUrl, "DELETE FROM readmodels.checkpoints WHERE projection = 'customer_order_stats'");
  await asOwner(db.adminUrl, "DELETE FROM readmodels.watermarks WHERE projection = 'customer_order_stats'");
  await asOwner(
    db.adminUrl,
    'TRUNCATE readmodels.customer_order_stats, readmodels.customer_order_stats_orders',
  );
  await workload.run(2, 100);

  projector = await startTestProjector(db, prefix);
  const [checkpoints] = await asOwner<{ n: string }>(
    db.adminUrl,
    "SELECT count(*)::text AS n FROM readmodels.checkpoints WHERE projection = 'customer_order_stats'",
  );
  expect(Number(checkpoints?.n)).toBeGreaterThan(0);
  await workload.run(2, 102);
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  const [report] = await verifyAll(db, [projectionNamed('customer_order_stats')]);
  expect(report).toMatchObject({ consistent: true });
  expect(report?.eventsReplayed).toBeGreaterThan(0);
}, 120_000);

test('the CLI rebuilds a projection and shows it in status; its errors are one line on stderr and a non-zero exit', async () => {
  const output: string[] = [];
  const errors: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  const adminUrl = process.env.ADMIN_DATABASE_URL;
  process.env.ADMIN_DATABASE_URL = db.adminUrl;
  try {
    expect(await runCli(['projections', 'rebuild', 'tenants'])).toBe(0);
    expect(output.at(-1)).toBe('tenants: rebuilt and swapped in');
    expect(await runCli(['projections', 'status'])).toBe(0);
    expect(output).toContainEqual(
      expect.stringMatching(/^rebuild swapped\ttenants: pass \d+, (\d+)\/\1 events \(100\.0%\)\tswapped in /),
    );
    expect(await runCli(['projections', 'rebuild', 'nope'])).toBe(2);
    expect(await runCli(['projections', 'rebuild'])).toBe(2);
  } finally {
    process.env.ADMIN_DATABASE_URL = adminUrl;
    jest.restoreAllMocks();
  }
  expect(errors).toEqual([
    expect.stringMatching(/^eventline projections rebuild: no projection "nope"; there are orders, /),
    'eventline: <name> is required (see eventline projections rebuild --help)',
  ]);
  const [tenants] = await verifyAll(db, [projectionNamed('tenants')]);
  expect(tenants).toMatchObject({ consistent: true });
});

const CLI_MAIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'services',
  'cli',
  'main.js',
);

test('a rebuild whose CLI process is SIGKILLed mid-way resumes where it stopped', async () => {
  if (!existsSync(CLI_MAIN))
    throw new Error(`${CLI_MAIN} is missing: build first (npx tsc -p tsconfig.build.json)`);
  // One event per window: many transactions, so the kill lands between two of them.
  const child = spawn(
    process.execPath,
    [CLI_MAIN, 'projections', 'rebuild', 'customer_order_stats', '--page-size', '1'],
    { env: { PATH: process.env.PATH ?? '', ADMIN_DATABASE_URL: db.adminUrl }, stdio: 'ignore' },
  );
  const killedAt = await waitFor(
    'the rebuild to apply some events',
    async () => {
      const row = await rebuildState('customer_order_stats');
      return row && Number(row.events_applied) > 0 ? row : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 20 },
  );
  await sigkill(child);
  const killed = await rebuildState('customer_order_stats');
  expect(killed).toMatchObject({ state: 'building' });
  expect(Number(killed?.events_applied)).toBeGreaterThanOrEqual(Number(killedAt.events_applied));

  const output: string[] = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
  const adminUrl = process.env.ADMIN_DATABASE_URL;
  process.env.ADMIN_DATABASE_URL = db.adminUrl;
  try {
    expect(await runCli(['projections', 'rebuild', 'customer_order_stats'])).toBe(0);
  } finally {
    process.env.ADMIN_DATABASE_URL = adminUrl;
    jest.restoreAllMocks();
  }
  expect(output).toContainEqual(expect.stringMatching(/^customer_order_stats: pass \d+, .*\(resumed\)$/));
  expect(await rebuildState('customer_order_stats')).toMatchObject({ state: 'swapped' });
  const [report] = await verifyAll(db, [projectionNamed('customer_order_stats')]);
  expect(report).toMatchObject({ consistent: true });
}, 60_000);
