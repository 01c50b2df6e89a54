/**
 * Exporting a tenant (issue 17): `GET /api/v1/tenants/{id}/export` on the
 * gateway process (dist/services/gateway/main.js) for a tenant of 1,000,000
 * events (QUICK: 20,000), in a database of the scenario's own. The events are
 * inserted in bulk (INSERT … SELECT generate_series, as the owner), shaped as
 * schemas/orders/OrderPlaced.v1 and OrderItemAdded.v1; each OrderPlaced holds
 * a customer's email and shipping address sealed with that customer's real
 * data key (made through SubjectKeys, sealed with the same code as appends),
 * so the export opens two values per order. The orders read model holds a row
 * per order, sealed alike. A client in this process reads the stream as fast
 * as it comes and counts its lines.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../../services/platform/database/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';
import {
  keepKeys,
  keyEncryptionFrom,
  seal,
  type SealingKey,
  SubjectKeys,
} from '../../services/privacy/index.ts';
import { createDatabase, type Endpoints } from '../lib/databases.ts';
import { startService, type ServiceProcess } from '../lib/pipeline.ts';
import { figure, NO_PEER, notJudged, type ScenarioResult, type TargetCheck } from '../lib/report.ts';
import { freePort, stackSetting } from '../lib/stack.ts';

const TARGET_EVENTS = 1_000_000;
const QUICK_EVENTS = 20_000;
/** Per order: an OrderPlaced holding two sealed values, then OrderItemAdded events. */
const EVENTS_PER_ORDER = 4;
const CUSTOMERS = 1000;
/** Events inserted per transaction, so the export crosses many transaction ids. */
const SEED_CHUNK = 100_000;
const TARGET_RATE = 10_000;
const TARGET_RSS_MB = 150;
const MIB = 2 ** 20;

/** Orders `first`…`last` (0-based) of the tenant, their events in one INSERT … SELECT. */
const SEED_EVENTS = `
  INSERT INTO events (tenant_id, stream_id, stream_type, stream_version, event_id, event_type, schema_version,
                      data, metadata, correlation_id, occurred_at)
  SELECT $1::text::uuid, md5($1::text || '-order-' || o)::uuid, 'Order', v,
         md5($1::text || '-event-' || o || '-' || v)::uuid,
         CASE WHEN v = 1 THEN 'OrderPlaced' ELSE 'OrderItemAdded' END, 1,
         CASE WHEN v = 1
           THEN jsonb_build_object('customerId', 'customer-' || (o % ${CUSTOMERS}), 'currency', 'EUR',
                  'customerEmail', ($4::text[])[1 + o % ${CUSTOMERS}],
                  'shippingAddress', ($5::text[])[1 + o % ${CUSTOMERS}],
                  'items', jsonb_build_array(jsonb_build_object('sku', 'sku-0', 'quantity', 1, 'unitPrice', 9.99)))
           ELSE jsonb_build_object('sku', 'sku-' || (v % 20), 'quantity', 1 + v % 5, 'unitPrice', 1.5 + v % 7)
         END,
         jsonb_build_object('correlationId', 'bench-' || o, 'causationId', null, 'tenantId', $1::text),
         'bench-' || o,
         now() - interval '1 day' + make_interval(secs => o + v / 100.0)
    FROM generate_series($2::integer, $3::integer) AS o, generate_series(1, ${EVENTS_PER_ORDER}) AS v
   ORDER BY o, v`;

/** One row per order in the orders read model, as the projector writes it: sealed values copied as they are. */
const SEED_ORDERS = `
  INSERT INTO readmodels.orders (tenant_id, order_id, customer_id, customer_email, shipping_address, status,
                                 currency, items, total, placed_position, placed_at, updated_at, version)
  SELECT $1::text::uuid, md5($1::text || '-order-' || o)::uuid, 'customer-' || (o % ${CUSTOMERS}),
         ($2::text[])[1 + o % ${CUSTOMERS}], ($3::text[])[1 + o % ${CUSTOMERS}], 'placed', 'EUR',
         '[{"sku": "sku-0", "quantity": 1, "unitPrice": 9.99}]', 9.99 + o % 100, o + 1, now(), now(),
         ${EVENTS_PER_ORDER}
    FROM generate_series(0, $4::integer - 1) AS o`;

async function asOwner(url: string, text: string, values: readonly unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, [...values]);
  } finally {
    await client.end();
  }
}

/** Each customer's email and address, sealed with the customer's own data key, as an append seals them. */
async function sealedValues(appUrl: string, kek: string, tenant: TenantId): Promise<[string[], string[]]> {
  const pool = await openDatabase(appUrl, { maximumPoolSize: 4 });
  try {
    const keys = new SubjectKeys(
      pool,
      keyEncryptionFrom({ PERSONAL_DATA_KEK: kek }) as NonNullable<ReturnType<typeof keyEncryptionFrom>>,
    );
    const emails: string[] = [];
    const addresses: string[] = [];
    const made: SealingKey[] = [];
    for (let c = 0; c < CUSTOMERS; c++) {
      const subject = `customer-${c}`;
      const sealing = await keys.sealingKey(tenant, subject);
      made.push(sealing);
      emails.push(seal(sealing.key, sealing.keyId, `${subject}@example.com`, tenant, subject));
      addresses.push(seal(sealing.key, sealing.keyId, `${c} Bench Street, 1000 Brussels`, tenant, subject));
    }
    // The events are loaded in bulk, not appended: their keys are stored here instead of by the appends.
    await keepKeys(pool, made);
    return [emails, addresses];
  } finally {
    await pool.end();
  }
}

interface Measured {
  readonly eventsPerSecond: number;
  readonly totalSeconds: number;
  readonly rows: number;
}

/** Reads the export as it streams, counting lines; the events are done when that many lines have come. */
async function exportOnce(
  gatewayUrl: string,
  token: string,
  tenant: string,
  events: number,
): Promise<Measured> {
  const started = process.hrtime.bigint();
  const response = await fetch(`${gatewayUrl}/api/v1/tenants/${tenant}/export`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok || !response.body)
    throw new Error(`export answered ${response.status}: ${await response.text()}`);
  let lines = 0;
  let eventsDoneAt: bigint | undefined;
  let tail = '';
  for await (const chunk of response.body) {
    const bytes = chunk as Uint8Array;
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
    if (eventsDoneAt === undefined && lines >= events) eventsDoneAt = process.hrtime.bigint();
    tail = (tail + Buffer.from(bytes).toString('utf8')).slice(-400);
  }
  const finished = process.hrtime.bigint();
  const last = tail.trimEnd().split('\n').at(-1) ?? '';
  const end = JSON.parse(last) as { kind: string; events: number; rows: number };
  if (end.kind !== 'end' || end.events !== events)
    throw new Error(`the export ended with ${last.slice(0, 200)}, not the end line of ${events} events`);
  const seconds = (at: bigint) => Number(at - started) / 1e9;
  return {
    eventsPerSecond: events / seconds(eventsDoneAt ?? finished),
    totalSeconds: seconds(finished),
    rows: end.rows,
  };
}

export async function exportScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const events = quick ? QUICK_EVENTS : TARGET_EVENTS;
  const orders = events / EVENTS_PER_ORDER;
  let rate: number[] | string = [];
  let total: number[] | string = [];
  let rss: number[] | string = [];
  let rows = 0;
  const database = await createDatabase(options.endpoints, 'export', { migrated: true });
  let gateway: ServiceProcess | undefined;
  try {
    const kek = `bench:${randomBytes(32).toString('base64')}`;
    const adminToken = randomBytes(24).toString('hex');
    const [port, opsPort] = [await freePort(), await freePort()];
    gateway = await startService(
      'gateway',
      {
        DATABASE_URL: database.appUrl,
        REDIS_URL: stackSetting('REDIS_URL'),
        ADMIN_TOKEN: adminToken,
        PERSONAL_DATA_KEK: kek,
        PORT: String(port),
        GATEWAY_OPS_PORT: String(opsPort),
      },
      opsPort,
    );
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const created = await fetch(`${gatewayUrl}/api/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench export', plan: 'enterprise' }),
    });
    const tenant = tenantId(String(((await created.json()) as { tenantId: string }).tenantId));
    log(`export: sealing ${CUSTOMERS} customers' data, seeding ${events} events and ${orders} order rows`);
    const [emails, addresses] = await sealedValues(database.appUrl, kek, tenant);
    const perChunk = SEED_CHUNK / EVENTS_PER_ORDER;
    for (let first = 0; first < orders; first += perChunk) {
      const last = Math.min(orders, first + perChunk) - 1;
      await asOwner(database.adminUrl, SEED_EVENTS, [tenant, first, last, emails, addresses]);
    }
    await asOwner(database.adminUrl, SEED_ORDERS, [tenant, emails, addresses, orders]);
    await asOwner(database.adminUrl, 'VACUUM ANALYZE events', []);
    // The tenant's own TenantCreated comes first: one event more than seeded.
    const exported = events + 1;
    const before = gateway.usage().peakRssBytes / MIB;
    log(`export: exporting (gateway peak RSS so far ${before.toFixed(0)} MiB)`);
    const measured = await exportOnce(gatewayUrl, adminToken, tenant, exported);
    rows = measured.rows;
    rate = [measured.eventsPerSecond];
    total = [measured.totalSeconds];
    rss = [gateway.usage().peakRssBytes / MIB];
    log(
      `export: ${exported} events at ${Math.round(measured.eventsPerSecond)}/s, with ${rows} rows ` +
        `${measured.totalSeconds.toFixed(1)} s in all; gateway peak RSS ${(rss[0] ?? 0).toFixed(0)} MiB`,
    );
  } catch (error) {
    rate = total = rss = `failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await gateway?.stop();
    await database.drop();
  }
  return [
    {
      id: 'tenant-export',
      title: `export of one tenant: ${events} events (${orders} orders, 2 sealed values each) and its ${orders} order rows`,
      loadGenerator:
        'one GET /api/v1/tenants/{id}/export as the platform admin from the benchmark process, read as fast as it ' +
        'streams (lines counted, not parsed); the gateway process as `make up` runs it; events seeded with ' +
        'INSERT … SELECT generate_series, personal data sealed with 1,000 customers’ data keys',
      concurrency: 1,
      poolSize: 20,
      warmup: 'none',
      rounds: 1,
      perRound: `${events} events`,
      synchronousCommit: {},
      figures: [
        figure('export rate (events)', 'events/s', 'higher', rate, NO_PEER),
        figure('export time, events and rows', 's', 'lower', total, NO_PEER),
        figure('gateway peak RSS', 'MiB', 'lower', rss, NO_PEER),
      ],
    },
  ];
}

/**
 * Targets (issue 17): a 1,000,000-event tenant exported at ≥ 10,000 events/s, the gateway's memory
 * flat (peak RSS within its 150 MB target). Judged only on a run of that many events: a QUICK run's
 * 20,000 say nothing of a stream 50 times as long.
 */
export function exportTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const scenario = scenarios.find((s) => s.id === 'tenant-export');
  const value = (name: string) => scenario?.figures.find((f) => f.name === name)?.ours?.median;
  const rate = value('export rate (events)');
  const rss = value('gateway peak RSS');
  const targets = [
    `export of a ${TARGET_EVENTS}-event tenant ≥ ${TARGET_RATE} events/s`,
    `gateway peak RSS during that export ≤ ${TARGET_RSS_MB} MB`,
  ] as const;
  if (rate === undefined || rss === undefined)
    return targets.map((target) => ({ target, met: null, detail: 'not measured' }));
  const exported = Number(/^(\d+) events/.exec(scenario?.perRound ?? '')?.[1] ?? 0);
  if (exported < TARGET_EVENTS) {
    const why = `this run exported ${exported} events (${Math.round(rate)} events/s, ${rss.toFixed(0)} MiB)`;
    return targets.map((target) => notJudged(target, why));
  }
  return [
    { target: targets[0], met: rate >= TARGET_RATE, detail: `${Math.round(rate)} events/s` },
    { target: targets[1], met: rss * MIB <= TARGET_RSS_MB * 1e6, detail: `${rss.toFixed(0)} MiB peak` },
  ];
}
