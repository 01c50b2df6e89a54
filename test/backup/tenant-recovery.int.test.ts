/**
 * `eventline tenants recover` as operators run it (the built CLI, its own
 * process) against real PostgreSQL and Kafka: tenant A recovered as of a point
 * in time from a copy of the store while tenant B keeps writing
 * (docs/recovery.md, "Recovering one tenant").
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { EventSchemas } from '../../services/avro/index.ts';
import {
  type Checkpoint,
  PostgresEventStore,
  storeHoldings,
  Upcasters,
} from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { projectRoot } from '../../services/platform/paths/index.ts';
import type { TenantId } from '../../services/platform/tenancy/index.ts';
import { destroySubjectKeys } from '../../services/privacy/index.ts';
import { checkConsistency, projections, rebuildTenant } from '../../services/readmodels/index.ts';
import { startRelay, type RunningRelay } from '../../services/relay/index.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { CommandStream } from '../relay/command-stream.ts';
import { applyTestTopology, asOwner, deleteSubjects, recordTopics } from '../relay/harness.ts';

const CLI = join(projectRoot(), 'dist/services/cli/main.js');
const brokers = endpoints().kafkaBrokers;
const prefix = `${uniqueName('recover')}.`;
let live: TestDatabase;
let copy: TestDatabase;
let owner: DatabasePool;
let relay: RunningRelay | undefined;

beforeAll(async () => {
  [live, copy] = await Promise.all([createTestDatabase('recover'), createTestDatabase('recoversrc')]);
  owner = await openDatabase(live.adminUrl, { maximumPoolSize: 2 });
  await applyTestTopology(prefix, brokers);
});

afterAll(async () => {
  await relay?.close();
  await owner.end();
  await Promise.all([live.drop(), copy.drop()]);
  await deleteSubjects(prefix);
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string[];
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ADMIN_DATABASE_URL: live.adminUrl,
          RECOVERY_SOURCE_DATABASE_URL: copy.adminUrl,
        },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout,
          stderr: stderr.split('\n').filter((line) => line !== ''),
        }),
    );
  });
}

/** What a restore of a backup taken now would hold: these tables copied row for row into the copy's database. */
async function backUp(): Promise<void> {
  const tables = ['tenants', 'streams', 'events', 'snapshots', 'personal_data_keys', 'idempotency_records'];
  for (const table of tables) {
    const [row] = await asOwner<{ rows: string }>(
      live.adminUrl,
      `SELECT coalesce(json_agg(t), '[]')::text AS rows FROM ${table} t`,
    );
    await asOwner(
      copy.adminUrl,
      `INSERT INTO ${table} OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`,
      [row?.rows ?? '[]'],
    );
  }
}

const events = async () => new PostgresEventStore(owner, await EventSchemas.load(), new Upcasters());

/** The tenant's newest event in commit order: where a projector that applied everything stands. */
async function newestOf(tenant: TenantId): Promise<Checkpoint> {
  const [row] = await asOwner<{ transaction_id: string; global_position: string }>(
    live.adminUrl,
    `SELECT transaction_id::text, global_position::text FROM events WHERE tenant_id = $1
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    [tenant],
  );
  return { transactionId: row?.transaction_id ?? '0', position: Number(row?.global_position ?? 0) };
}

/** The read models as a projector that applied every event of the tenants would hold them. */
async function project(tenants: readonly TenantId[]): Promise<void> {
  const store = await events();
  for (const tenant of tenants) {
    const upTo = await newestOf(tenant);
    for (const projection of projections) {
      await owner.transaction((tx) =>
        rebuildTenant(tx, projection, tenant, store, { raiseWatermarkTo: upTo }),
      );
    }
  }
}

/** Everything of one tenant a recovery of another must leave as it was, as text to compare. */
async function footprint(tenant: TenantId): Promise<string> {
  const parts: unknown[] = [];
  for (const table of ['events', 'streams', 'snapshots', 'personal_data_keys', 'outbox']) {
    parts.push(
      await asOwner(live.adminUrl, `SELECT * FROM ${table} t WHERE tenant_id = $1 ORDER BY 1, 2, 3`, [
        tenant,
      ]),
    );
  }
  parts.push(
    await asOwner(
      live.adminUrl,
      'SELECT projection, transaction_id::text, global_position FROM readmodels.watermarks WHERE tenant_id = $1 ORDER BY 1',
      [tenant],
    ),
  );
  for (const projection of projections) {
    for (const table of projection.tables) {
      parts.push(
        await asOwner(
          live.adminUrl,
          `SELECT * FROM readmodels.${table} t WHERE tenant_id = $1 ORDER BY 1, 2`,
          [tenant],
        ),
      );
    }
  }
  return JSON.stringify(parts);
}

async function eventIdsOf(url: string, tenant: TenantId, asOf?: string): Promise<string[]> {
  const rows = await asOwner<{ id: string }>(
    url,
    `SELECT event_id || '@' || global_position || '@' || transaction_id AS id FROM events
      WHERE tenant_id = $1 AND stream_type <> 'Tenant' AND ($2::timestamptz IS NULL OR recorded_at <= $2)
      ORDER BY transaction_id, global_position`,
    [tenant, asOf ?? null],
  );
  return rows.map((row) => row.id);
}

async function addKey(tenant: TenantId, subject: string, keyId: string): Promise<void> {
  await asOwner(
    live.adminUrl,
    `INSERT INTO personal_data_keys (tenant_id, subject, key_id, wrapped_key) VALUES ($1, $2, $3, 'wrapped-' || $3)`,
    [tenant, subject, keyId],
  );
}

function startOn(): Promise<RunningRelay> {
  return startRelay({
    databaseUrl: live.relayUrl,
    kafka: { brokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: capturedLogger('relay', []).log,
  });
}

async function outboxRows(): Promise<number> {
  const [row] = await asOwner<{ rows: number }>(live.adminUrl, 'SELECT count(*)::int AS rows FROM outbox');
  return row?.rows ?? -1;
}

test('one tenant recovered as of a point in time while another keeps writing', async () => {
  const stream = await CommandStream.open(live.appUrl, 2);
  const [a, b] = stream.tenants as [TenantId, TenantId];
  const topic = await recordTopics(brokers, [`${prefix}orders.events`]);
  try {
    relay = await startOn();
    // Before the point recovered to, and after it but before the backup.
    await stream.run(2, 2);
    await addKey(a, 'kept', 'k-kept');
    await addKey(a, 'forgotten-later', 'k-forgotten');
    const [{ now: asOf } = { now: '' }] = await asOwner<{ now: string }>(
      live.adminUrl,
      `SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now`,
    );
    await stream.order(a, 1);
    await addKey(a, 'after-the-point', 'k-after');
    await backUp();
    // After the backup: more of A (lost by the recovery, as intended), a subject forgotten, a keyed command.
    // Keys only the copy has (lost live, say): one of the subject forgotten below, made before the forget.
    await asOwner(
      copy.adminUrl,
      `INSERT INTO personal_data_keys (tenant_id, subject, key_id, wrapped_key, created_at)
       VALUES ($1, 'forgotten-later', 'k-copy-forgotten', 'w', now() - interval '1 minute'),
              ($1, 'kept', 'k-copy-kept', 'w', now() - interval '1 minute')`,
      [a],
    );
    await stream.run(1, 1);
    // A's last: the newest record of its partition names an event the recovery withdraws.
    await stream.order(a, 1);
    await owner.transaction((tx) => destroySubjectKeys(tx, a, 'forgotten-later'));
    await asOwner(
      live.adminUrl,
      `INSERT INTO idempotency_records (tenant_id, idempotency_key, request_hash, status_code, response_headers,
                                        response_body, expires_at)
       VALUES ($1, 'after', 'h', 201, '{}', '{}', now() + interval '1 day')`,
      [a],
    );
    await waitFor('everything on Kafka', async () => ((await outboxRows()) === 0 ? true : undefined));
    const [stored] = await asOwner<{ count: number }>(
      live.adminUrl,
      'SELECT count(*)::int AS count FROM events',
    );
    await waitFor('everything received', () =>
      topic.eventIds().size >= (stored?.count ?? Infinity) ? true : undefined,
    );
    await relay.close();
    relay = undefined;
    // One more of A, not published yet: its outbox row goes with it.
    await stream.order(a, 0);
    const [unpublished] = await asOwner<{ event_id: string }>(
      live.adminUrl,
      'SELECT event_id FROM events WHERE tenant_id = $1 ORDER BY transaction_id DESC, global_position DESC LIMIT 1',
      [a],
    );
    await project([a, b]);
    const expected = await eventIdsOf(copy.adminUrl, a, asOf);
    const [withdrawnExpected] = await asOwner<{ count: number }>(
      live.adminUrl,
      `SELECT count(*)::int AS count FROM events WHERE tenant_id = $1 AND stream_type <> 'Tenant'`,
      [a],
    );
    const bBefore = await footprint(b);
    const bEvents = (await eventIdsOf(live.adminUrl, b)).length;

    // Bad usage: one line, exit 2, nothing done.
    for (const [args, message] of [
      [['tenants', 'recover', 'not-a-tenant'], `<tenant-id> must be a tenant's UUID, not "not-a-tenant"`],
      [
        ['tenants', 'recover', a, '--as-of', '2026-12-01 10:00'],
        '--as-of must be an ISO 8601 time with its zone',
      ],
      [['projections', 'rebuild', 'orders', '--tenant', 'x'], `--tenant must be a tenant's UUID, not "x"`],
    ] as const) {
      const refused = await cli(...args);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toHaveLength(1);
      expect(refused.stderr[0]).toContain(message);
    }
    // A tenant the copy does not hold is refused (exit 1), not emptied.
    const unknown = await cli('tenants', 'recover', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr[0]).toContain('the copy holds no event of tenant');

    // A's appends are refused while its write lock is held; B's go on.
    const holder = new pg.Client({ connectionString: live.adminUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(tenant_write_lock_key($1))', [a]);
      await expect(stream.order(a, 0)).rejects.toThrow('this tenant is being recovered; retry shortly');
      await stream.order(b, 0);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }

    // The recovery, with B writing all along.
    let writing = true;
    let written = 0;
    const bWrites = (async () => {
      while (writing) {
        await stream.order(b, 0);
        written++;
      }
    })();
    await waitFor('B writing', () => (written > 0 ? true : undefined));
    const writtenBefore = written;
    // A transaction older than the recovery, reaching A only after it: a batch of appends spanning the
    // whole recovery. Its cursor would fall below the raised watermarks, so it is refused too.
    const older = new pg.Client({ connectionString: live.adminUrl });
    await older.connect();
    await older.query('BEGIN');
    await older.query('SELECT pg_current_xact_id()');
    const run = await cli('tenants', 'recover', a, '--as-of', asOf, '--json');
    writing = false;
    await bWrites;
    try {
      const appendTo = (tenant: TenantId) =>
        older.query(
          `INSERT INTO streams (tenant_id, stream_id, stream_type, version) VALUES ($1, gen_random_uuid(), 'Order', 1)`,
          [tenant],
        );
      await older.query('SAVEPOINT other_tenant');
      await appendTo(b);
      await older.query('ROLLBACK TO SAVEPOINT other_tenant');
      await expect(appendTo(a)).rejects.toMatchObject({ code: '55P03' });
    } finally {
      await older.query('ROLLBACK');
      await older.end();
    }
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(new URL(copy.adminUrl).password);
    const report = JSON.parse(run.stdout) as {
      events: { kept: number; withdrawn: number; restored: number };
      keys: { restored: number; stillForgotten: number };
      idempotencyRecordsForgotten: number;
      outboxRowsDropped: number;
      readModels: { projection: string; eventsApplied: number }[];
    };
    expect(written).toBeGreaterThan(writtenBefore);

    // A: exactly the copy's events up to the point, with their own positions and transaction ids.
    expect(await eventIdsOf(live.adminUrl, a)).toEqual(expected);
    expect(report.events.kept).toBe(expected.length);
    expect(report.events.restored).toBe(0);
    expect(report.events.withdrawn).toBe((withdrawnExpected?.count ?? 0) - expected.length);
    const [versions] = await asOwner<{ wrong: number }>(
      live.adminUrl,
      `SELECT count(*)::int AS wrong FROM streams s WHERE s.tenant_id = $1
          AND s.version <> (SELECT max(e.stream_version) FROM events e WHERE e.tenant_id = s.tenant_id AND e.stream_id = s.stream_id)`,
      [a],
    );
    expect(versions?.wrong).toBe(0);
    // Its keys: the forgotten subject stays forgotten; a key the live store holds stays as it is.
    const keys = await asOwner<{ key_id: string; wrapped_key: string | null }>(
      live.adminUrl,
      'SELECT key_id, wrapped_key FROM personal_data_keys WHERE tenant_id = $1 ORDER BY key_id',
      [a],
    );
    expect(keys.find((key) => key.key_id === 'k-forgotten')?.wrapped_key).toBeNull();
    expect(keys.find((key) => key.key_id === 'k-kept')?.wrapped_key).toBe('wrapped-k-kept');
    expect(keys.find((key) => key.key_id === 'k-copy-kept')?.wrapped_key).toBe('w');
    expect(keys.some((key) => key.key_id === 'k-copy-forgotten')).toBe(false);
    expect(report.keys).toEqual({ restored: 1, stillForgotten: 1 });
    expect(report.events.withdrawn).toBeGreaterThan(0);
    expect(report.readModels.find((model) => model.projection === 'orders')?.eventsApplied).toBeGreaterThan(
      0,
    );
    expect(report.idempotencyRecordsForgotten).toBe(1);

    // B: every row it had is as it was (only its new events' rows were added), its new events stored.
    const bRowsBefore = JSON.parse(bBefore) as unknown[][];
    const bRowsNow = JSON.parse(await footprint(b)) as unknown[][];
    bRowsBefore.forEach((rows, table) => {
      for (const row of rows) expect(bRowsNow[table]).toContainEqual(row);
    });
    expect((await eventIdsOf(live.adminUrl, b)).length).toBe(bEvents + 1 + written);

    // One tenant's rows of one projection rebuilt alone, from the command line.
    const rebuilt = await cli('projections', 'rebuild', 'orders', '--tenant', a);
    expect(rebuilt.stderr).toEqual([]);
    expect(rebuilt.stdout).toMatch(
      new RegExp(`^orders: tenant ${a}: \\d+ rows replaced by [1-9]\\d* events replayed`),
    );

    // A's read models match a replay of the store; so do B's (verify checks every tenant).
    for (const projection of projections) {
      const consistency = await checkConsistency(owner, projection, await events());
      expect({ projection: projection.name, consistent: consistency.consistent }).toEqual({
        projection: projection.name,
        consistent: true,
      });
    }

    // The withdrawn events count as held for the relay's check, which then lets it publish.
    const withdrawn = await asOwner<{ tenant_id: string; event_id: string }>(
      live.adminUrl,
      'SELECT tenant_id, event_id FROM events_withdrawn',
    );
    expect(withdrawn).toHaveLength(report.events.withdrawn);
    const held = await storeHoldings(
      owner,
      withdrawn.map((row) => ({ tenantId: row.tenant_id, eventId: row.event_id })),
    );
    expect(held.stored.size).toBe(withdrawn.length);
    // The projector finds their places in the commit order, at or below A's raised watermarks: it skips
    // their records as republished rather than applying them or taking the store for restored behind Kafka.
    const places = await asOwner<{ global_position: string }>(
      live.adminUrl,
      'SELECT global_position::text FROM events_withdrawn',
    );
    const found = await (await events()).checkpointsOf(places.map((row) => Number(row.global_position)));
    expect(found.size).toBe(places.length);
    const [above] = await asOwner<{ count: number }>(
      live.adminUrl,
      `SELECT count(*)::int AS count FROM events_withdrawn w, readmodels.watermarks m
        WHERE m.tenant_id = w.tenant_id AND (w.transaction_id, w.global_position) > (m.transaction_id, m.global_position)`,
    );
    expect(above?.count).toBe(0);
    const [marks] = await asOwner<{ count: number }>(
      live.adminUrl,
      'SELECT count(*)::int AS count FROM readmodels.watermarks WHERE tenant_id = $1',
      [a],
    );
    expect(marks?.count).toBe(projections.length);
    const newestOfA = topic.received.filter((record) => record.headers['tenant-id'] === a).at(-1);
    expect(withdrawn.map((row) => row.event_id)).toContain(newestOfA?.headers['event-id']);
    const [outboxOfA] = await asOwner<{ rows: number }>(
      live.adminUrl,
      'SELECT count(*)::int AS rows FROM outbox WHERE tenant_id = $1',
      [a],
    );
    expect(outboxOfA?.rows).toBe(0);
    expect(report.outboxRowsDropped).toBe(1);
    relay = await startOn();
    const readiness = (await (await fetch(`http://127.0.0.1:${relay.port}/ready`)).json()) as {
      checks: Record<string, { status: string }>;
    };
    expect(readiness.checks['store-vs-kafka']?.status).toBe('up');
    await stream.order(a, 0);
    // A's new event: published, with a cursor above every event of A consumers may have seen.
    const [fresh] = await asOwner<{ event_id: string; above: boolean }>(
      live.adminUrl,
      `SELECT e.event_id, NOT EXISTS (SELECT FROM events_withdrawn w WHERE w.tenant_id = $1
                AND (w.transaction_id, w.global_position) >= (e.transaction_id, e.global_position)) AS above
         FROM events e WHERE e.tenant_id = $1 ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`,
      [a],
    );
    expect(fresh?.above).toBe(true);
    await waitFor('A’s new event on Kafka', () => (topic.eventIds().has(fresh?.event_id) ? true : undefined));
    // Published in commit order: the event recovered away before it would have been on Kafka first.
    expect(topic.eventIds().has(unpublished?.event_id)).toBe(false);
  } finally {
    await topic.stop();
    await stream.close();
  }
});

test('an offboarded tenant is refused, and nothing of it changes', async () => {
  const tenant = '5eed0ff0-0000-4000-8000-000000000001';
  await asOwner(
    copy.adminUrl,
    `INSERT INTO events (tenant_id, stream_id, stream_type, stream_version, event_id, event_type, schema_version,
                         data, metadata, occurred_at)
     VALUES ($1, gen_random_uuid(), 'Order', 1, gen_random_uuid(), 'OrderPlaced', 1, '{}', '{}', now())`,
    [tenant],
  );
  await asOwner(live.adminUrl, 'INSERT INTO readmodels.erased_tenants (tenant_id) VALUES ($1)', [tenant]);
  const refused = await cli('tenants', 'recover', tenant);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toHaveLength(1);
  expect(refused.stderr[0]).toContain(`tenant ${tenant} was offboarded`);
  const [stored] = await asOwner<{ count: number }>(
    live.adminUrl,
    'SELECT count(*)::int AS count FROM events WHERE tenant_id = $1',
    [tenant],
  );
  expect(stored?.count).toBe(0);
});
