import { sql } from 'slonik';
import { EventSchemas } from '../../avro/index.ts';
import { Upcasters } from '../../eventstore/index.ts';
import { loadTopology } from '../../messaging/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import { openDatabase } from '../../platform/database/index.ts';
import { checkConsistency, projectionNamed, projections } from '../../readmodels/index.ts';

const USAGE = 'usage: eventline projections <list|status|verify <name>>';

async function asOwner<T>(fn: (pool: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const { ADMIN_DATABASE_URL } = loadConfig({ ADMIN_DATABASE_URL: env.ADMIN_DATABASE_URL });
  const pool = await openDatabase(ADMIN_DATABASE_URL, { maximumPoolSize: 2, statementTimeoutMs: 0 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/**
 * `eventline projections list` (the projections, their groups and sources),
 * `status` (each one's checkpoints and tenants tracked) and `verify <name>`
 * (the consistency check: the read model against a replay of the event store;
 * a difference exits non-zero).
 */
export async function projectionsCommand(args: readonly string[]): Promise<void> {
  const [action, name] = args;
  if (action === 'list') {
    const { KAFKA_TOPIC_PREFIX } = loadConfig({ KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX });
    const topology = await loadTopology(KAFKA_TOPIC_PREFIX);
    for (const projection of projections) {
      const group =
        topology.consumerGroups.find((entry) => entry.projection === projection.name)?.group ?? '(none)';
      console.log(
        `${projection.name}\tgroup ${group}\tsources ${projection.sources.join(',')}\t` +
          `handles ${Object.keys(projection.handlers).join(',')}`,
      );
    }
    return;
  }
  if (action === 'status') {
    await asOwner(async (pool) => {
      const rows = (await pool.any(sql.unsafe`
        SELECT c.projection, c.topic, c.partition, c.next_offset, c.updated_at,
               (SELECT count(*) FROM readmodels.watermarks w WHERE w.projection = c.projection) AS tenants,
               (SELECT count(*) FROM readmodels.dead_letters d WHERE d.projection = c.projection) AS parked
          FROM readmodels.checkpoints c ORDER BY c.projection, c.topic, c.partition`)) as readonly {
        projection: string;
        topic: string;
        partition: number;
        next_offset: number;
        updated_at: number;
        tenants: number;
        parked: number;
      }[];
      if (rows.length === 0) console.log('no checkpoints yet: the projector has applied nothing');
      for (const row of rows) {
        console.log(
          `${row.projection}\t${row.topic}[${row.partition}]\tnext offset ${row.next_offset}\t` +
            `at ${new Date(row.updated_at).toISOString()}\ttenants ${row.tenants}\tparked ${row.parked}`,
        );
      }
    });
    return;
  }
  if (action === 'verify' && name) {
    const projection = projectionNamed(name);
    const schemas = await EventSchemas.load();
    const upcasters = new Upcasters();
    const report = await asOwner((pool) =>
      checkConsistency(pool, projection, (type, version, data) =>
        upcasters.upcast(type, version, data, schemas.current(type).version),
      ),
    );
    for (const table of report.tables) {
      console.log(`${table.table}: ${table.missing} missing, ${table.unexpected} unexpected`);
      for (const sample of table.samples) console.log(`  ${JSON.stringify(sample)}`);
    }
    console.log(`${name}: ${report.eventsReplayed} events replayed`);
    if (!report.consistent) throw new Error(`${name} differs from a replay of the event store`);
    console.log(`${name}: consistent`);
    return;
  }
  throw new Error(USAGE);
}
