/**
 * Recovering one tenant (issue 21, part 3): `eventline tenants recover` as the
 * CLI runs it (recoverTenant, as the schema owner) for a tenant of 100,000
 * events in a store of 1,000,000 over 10 tenants (QUICK: 10,000 of 100,000).
 * The copy holds that tenant's first 90 % of orders, so the recovery keeps
 * 90 % of its events, withdraws the rest, and rebuilds its read models from
 * the kept ones; every tenant's watermarks are set as if the projector had
 * applied everything. Both databases are the scenario's own, seeded with
 * INSERT … SELECT generate_series (the same ids in both).
 */
import { recoverTenant } from '../../services/cli/tenant-recovery.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { tenantId } from '../../services/platform/tenancy/index.ts';
import { projections } from '../../services/readmodels/index.ts';
import { asAdmin, type BenchDatabase, createDatabase, type Endpoints } from '../lib/databases.ts';
import { figure, NO_PEER, type ScenarioResult, type TargetCheck } from '../lib/report.ts';
import { type OrderSeed, seedOrders } from './projector-rebuild.ts';

const TENANTS = 10;
const EVENTS_PER_ORDER = 10;
const SEED_CHUNK = 100_000;
const STORE_EVENTS = 1_000_000;
/** The share of the recovered tenant's orders the copy holds: the rest is withdrawn. */
const KEPT = 0.9;

/** The orders of this scenario's store, spread over its tenants. */
const SEED: OrderSeed = { eventsPerOrder: EVENTS_PER_ORDER, tenants: TENANTS };

/** The streams rows the seeded events imply. */
const SEED_STREAMS = `
  INSERT INTO streams (tenant_id, stream_id, stream_type, version)
  SELECT tenant_id, stream_id, 'Order', max(stream_version) FROM events GROUP BY tenant_id, stream_id`;

async function seed(live: BenchDatabase, copy: BenchDatabase, orders: number): Promise<void> {
  const perChunk = SEED_CHUNK / EVENTS_PER_ORDER;
  const keptOrders = Math.floor(orders * KEPT);
  for (let first = 0; first < orders; first += perChunk) {
    const last = Math.min(orders, first + perChunk) - 1;
    await asAdmin(live.adminUrl, seedOrders(first, last, SEED));
    if (first < keptOrders)
      await asAdmin(
        copy.adminUrl,
        seedOrders(first, Math.min(last, keptOrders - 1), { ...SEED, where: `o % ${TENANTS} = 0` }),
      );
  }
  await asAdmin(live.adminUrl, SEED_STREAMS);
  await asAdmin(copy.adminUrl, SEED_STREAMS);
  await asAdmin(
    live.adminUrl,
    `INSERT INTO readmodels.watermarks (projection, tenant_id, transaction_id, global_position)
     SELECT p.name, w.tenant_id, w.transaction_id, w.global_position
       FROM (SELECT DISTINCT ON (tenant_id) tenant_id, transaction_id, global_position FROM events
              ORDER BY tenant_id, transaction_id DESC, global_position DESC) w,
            unnest(ARRAY[${projections.map((projection) => `'${projection.name}'`).join(', ')}]) AS p(name)`,
  );
  await asAdmin(live.adminUrl, 'VACUUM ANALYZE events');
  await asAdmin(copy.adminUrl, 'VACUUM ANALYZE events');
}

export async function tenantRecoveryScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const storeEvents = quick ? STORE_EVENTS / 10 : STORE_EVENTS;
  const tenantEvents = storeEvents / TENANTS;
  const orders = storeEvents / EVENTS_PER_ORDER;
  let seconds: number[] | string = [];
  let rate: number[] | string = [];
  let locked: number[] | string = [];
  let detail = '';
  const live = await createDatabase(options.endpoints, 'recover', { migrated: true });
  const copy = await createDatabase(options.endpoints, 'recoversrc', { migrated: true });
  try {
    log(`tenant recovery: seeding ${storeEvents} events over ${TENANTS} tenants`);
    await seed(live, copy, orders);
    const pool = { maximumPoolSize: 2, statementTimeoutMs: 3_600_000 };
    const owner = await openDatabase(live.adminUrl, pool);
    const source = await openDatabase(copy.adminUrl, pool);
    try {
      const [row] = await asAdmin<{ tenant: string }>(
        live.adminUrl,
        `SELECT md5('tenant-0')::uuid AS tenant`,
      );
      log(`tenant recovery: recovering a tenant of ${tenantEvents} events`);
      const started = process.hrtime.bigint();
      const report = await recoverTenant(owner, source, tenantId(row?.tenant ?? ''));
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      seconds = [elapsed];
      rate = [tenantEvents / elapsed];
      locked = [report.lockedSeconds];
      detail = `${report.events.kept} kept, ${report.events.withdrawn} withdrawn`;
      log(
        `tenant recovery: ${tenantEvents} events (${detail}) in ${elapsed.toFixed(1)} s, ` +
          `${report.lockedSeconds} s of it with the tenant's writes refused`,
      );
    } finally {
      await Promise.all([owner.end(), source.end()]);
    }
  } catch (error) {
    seconds = rate = locked = `failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await Promise.all([live.drop(), copy.drop()]);
  }
  return [
    {
      id: 'tenant-recovery',
      title: `recovery of one tenant of ${tenantEvents} events in a store of ${storeEvents} (${TENANTS} tenants)`,
      loadGenerator:
        'recoverTenant as `eventline tenants recover` runs it, as the owner: the copy read, then one transaction ' +
        `(events, streams, outbox, keys, idempotency records, ${projections.length} projections rebuilt for the tenant)` +
        (detail ? `; ${detail}` : ''),
      concurrency: 1,
      poolSize: 2,
      warmup: 'none',
      rounds: 1,
      perRound: `${tenantEvents} events`,
      synchronousCommit: {},
      figures: [
        figure('recovery time', 's', 'lower', seconds, NO_PEER),
        figure('recovery throughput', 'events/s', 'higher', rate, NO_PEER),
        figure("tenant's writes refused", 's', 'lower', locked, NO_PEER),
      ],
    },
  ];
}

/** The issue names no target for it: the figure is what docs/recovery.md states as this part's RTO. */
export function tenantRecoveryTargets(): TargetCheck[] {
  return [];
}
