import type { DatabasePool } from 'slonik';
import { EventSchemas } from '../../avro/index.ts';
import { type EventStore, PostgresEventStore, Upcasters } from '../../eventstore/index.ts';
import { loadTopology } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import {
  checkConsistency,
  DEFAULT_PAGE_SIZE,
  partitionCheckpoints,
  type Projection,
  projectionNamed,
  projections,
  type RebuildProgress,
  rebuildProjection,
  rebuildStates,
  rebuildTenant,
} from '../../readmodels/index.ts';
import { type TenantId, tenantId } from '../../platform/tenancy/index.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';
import { asOwner } from '../owner-database.ts';

/** The event store on the owner's pool, which sees every tenant's events: what a replay reads. */
async function eventStoreOn(pool: DatabasePool): Promise<EventStore> {
  return new PostgresEventStore(pool, await EventSchemas.load(), new Upcasters());
}

function describeProgress(progress: RebuildProgress): string {
  const share = progress.eventsTotal > 0 ? (100 * progress.eventsApplied) / progress.eventsTotal : 100;
  return `${progress.projection}: pass ${progress.pass}, ${progress.eventsApplied}/${progress.eventsTotal} events (${share.toFixed(1)}%)`;
}

/** Rebuilds one projection, printing progress at most once a second; Ctrl-C stops it between two pages. */
async function rebuild(projection: Projection, size: number): Promise<void> {
  const stop = new AbortController();
  const interrupt = () =>
    stop.abort(new Error(`${projection.name}: rebuild interrupted; run it again to resume`));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let printedAt = 0;
  try {
    const report = await asOwner(async (pool) =>
      rebuildProjection(pool, projection, {
        events: await eventStoreOn(pool),
        pageSize: size,
        signal: stop.signal,
        onProgress(progress) {
          if (Date.now() - printedAt < 1000) return;
          printedAt = Date.now();
          console.log(describeProgress(progress));
        },
      }),
    );
    console.log(`${describeProgress(report)}${report.resumed ? ' (resumed)' : ''}`);
    console.log(`${projection.name}: rebuilt and swapped in`);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

/** Rebuilds one tenant's rows in one transaction; the projector goes on with every other tenant. */
async function rebuildOneTenant(projection: Projection, tenant: TenantId, size: number): Promise<void> {
  const rebuilt = await asOwner(async (pool) => {
    const events = await eventStoreOn(pool);
    return pool.transaction((tx) => rebuildTenant(tx, projection, tenant, events, { pageSize: size }));
  });
  console.log(
    `${projection.name}: tenant ${tenant}: ${rebuilt.rowsDeleted} rows replaced by ${rebuilt.eventsApplied} events replayed`,
  );
}

function tenantOption(text: string): TenantId {
  try {
    return tenantId(text);
  } catch {
    throw new UsageError(`--tenant must be a tenant's UUID, not "${text}"`);
  }
}

/** A projection's name as the command line gives it; an unknown one is a usage error. */
function named(name: string | undefined): Projection {
  try {
    return projectionNamed(name ?? '');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const json = { json: { type: 'boolean', description: 'print JSON instead of lines' } } as const;

const DATABASE = ['ADMIN_DATABASE_URL'];

export const projectionsCommands: readonly CommandSpec[] = [
  {
    path: ['projections', 'list'],
    summary: "Lists the projections: each one's consumer group, source contexts and event types.",
    options: json,
    environment: ['KAFKA_TOPIC_PREFIX'],
    async run({ options }) {
      const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
      const topology = await loadTopology(KAFKA_TOPIC_PREFIX);
      const listed = projections.map((projection) => ({
        name: projection.name,
        group: topology.consumerGroups.find((entry) => entry.projection === projection.name)?.group ?? null,
        sources: projection.sources,
        handles: Object.keys(projection.handlers),
      }));
      if (options.json) {
        console.log(JSON.stringify(listed));
        return;
      }
      for (const each of listed) {
        console.log(
          `${each.name}\tgroup ${each.group ?? '(none)'}\tsources ${each.sources.join(',')}\thandles ${each.handles.join(',')}`,
        );
      }
    },
  },
  {
    path: ['projections', 'status'],
    summary:
      "Shows each projection's checkpoint per partition, the tenants it tracks and what it parked, and rebuilds.",
    options: json,
    environment: DATABASE,
    async run({ options }) {
      const { checkpoints, rebuilds } = await asOwner(async (pool) => ({
        checkpoints: await partitionCheckpoints(pool),
        rebuilds: await rebuildStates(pool),
      }));
      if (options.json) {
        console.log(JSON.stringify({ checkpoints, rebuilds }));
        return;
      }
      if (checkpoints.length === 0) console.log('no checkpoints yet: the projector has applied nothing');
      for (const row of checkpoints) {
        console.log(
          `${row.projection}\t${row.topic}[${row.partition}]\tnext offset ${row.nextOffset}\t` +
            `at ${row.updatedAt.toISOString()}\ttenants ${row.tenants}\tparked ${row.parked}`,
        );
      }
      for (const row of rebuilds) {
        const when =
          row.swappedAt === null
            ? `started ${row.startedAt.toISOString()}, last page ${row.updatedAt.toISOString()}`
            : `swapped in ${row.swappedAt.toISOString()}`;
        console.log(
          `rebuild ${row.state === 'building' ? 'building (resumable)' : row.state}\t${describeProgress(row)}\t${when}`,
        );
      }
    },
  },
  {
    path: ['projections', 'verify'],
    summary:
      "Replays each tenant's events up to its watermark into scratch tables and compares them row for row with " +
      'the live read model. A difference exits 1.',
    args: [{ name: 'name', description: 'the projection (see projections list)' }],
    environment: DATABASE,
    async run({ args }) {
      const projection = named(args.name);
      const report = await asOwner(async (pool) =>
        checkConsistency(pool, projection, await eventStoreOn(pool)),
      );
      for (const table of report.tables) {
        console.log(`${table.table}: ${table.missing} missing, ${table.unexpected} unexpected`);
        for (const sample of table.samples) console.log(`  ${JSON.stringify(sample)}`);
      }
      console.log(`${projection.name}: ${report.eventsReplayed} events replayed`);
      if (!report.consistent) throw new Error(`${projection.name} differs from a replay of the event store`);
      console.log(`${projection.name}: consistent`);
    },
  },
  {
    path: ['projections', 'rebuild'],
    summary:
      "Builds the projection's tables anew from the event store beside the live ones, which keep serving, then swaps " +
      'them in. Resumable: run it again after an interruption. With --tenant, rebuilds that tenant’s rows alone, ' +
      'in one transaction.',
    args: [{ name: 'name', description: 'the projection (see projections list)' }],
    options: {
      'page-size': {
        type: 'string',
        value: '<events>',
        description: `events read and applied per page (default ${DEFAULT_PAGE_SIZE})`,
      },
      tenant: {
        type: 'string',
        value: '<tenant-id>',
        description: "rebuild only this tenant's rows, up to its watermark",
      },
    },
    environment: DATABASE,
    async run({ args, options }) {
      const projection = named(args.name);
      const given = options['page-size'];
      const size = typeof given === 'string' ? Number(given) : DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(size) || size < 1)
        throw new UsageError(`--page-size must be a whole number ≥ 1, not "${String(given)}"`);
      const tenant = options.tenant;
      if (typeof tenant === 'string') await rebuildOneTenant(projection, tenantOption(tenant), size);
      else await rebuild(projection, size);
    },
  },
];
