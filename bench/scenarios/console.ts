/**
 * The admin console's pages (issue #19): server time to first render of the
 * tenant list with 10,000 tenants, and of a 10,000-event stream's page (its
 * first page, and its latest, whose state replays the whole stream), from a
 * gateway process of its own, signed in as the platform admin. Each request
 * runs alone (no concurrency): the time is the gateway's to render the whole
 * page, measured as the time to the last byte over loopback. Target: p50 and
 * p99 at most 300 ms. No peer runs here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EventSchemas } from '../../services/avro/index.ts';
import { deciderForAggregateType } from '../../services/domain/contexts.ts';
import { type DomainEvent, replay } from '../../services/domain/kernel/index.ts';
import {
  PostgresEventStore,
  type StreamId,
  type StreamRef,
  Upcasters,
} from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';
import { asAdmin, type BenchDatabase, createDatabase, type Endpoints } from '../lib/databases.ts';
import { startService } from '../lib/pipeline.ts';
import { figure, NO_PEER, type ScenarioResult, type TargetCheck } from '../lib/report.ts';
import { freePort, stackSetting } from '../lib/stack.ts';
import { msSince, percentiles } from '../lib/stats.ts';

const TENANTS = 10_000;
const STREAM_EVENTS = 10_000;
const TARGET_MS = 300;

/** The tenants' directory rows, written as the owner in one statement: the list page reads nothing else. */
async function seedTenants(database: BenchDatabase): Promise<void> {
  await asAdmin(
    database.adminUrl,
    `INSERT INTO tenants (tenant_id, name, plan, status, commands_per_minute, max_burst, version)
     SELECT gen_random_uuid(), 'Tenant ' || lpad(i::text, 5, '0'), 'pro', 'active', 600, 100, 1
       FROM generate_series(1, ${TENANTS}) AS i`,
  );
}

/** One order with STREAM_EVENTS events, appended through the event store in pages, as commands would. */
async function seedStream(database: BenchDatabase, schemas: EventSchemas, tenant: TenantId): Promise<string> {
  const pool = await openDatabase(database.appUrl, { maximumPoolSize: 2 });
  try {
    const store = new PostgresEventStore(pool, schemas, new Upcasters());
    const order = randomUUID();
    const ref: StreamRef = { id: order as StreamId, type: 'Order', context: 'orders' };
    const metadata = { correlationId: `bench-console-${order}`, causationId: null };
    const placed = {
      type: 'OrderPlaced',
      data: {
        customerId: 'bench-customer',
        customerEmail: null,
        shippingAddress: null,
        currency: 'EUR',
        items: [{ sku: 'sku-0', quantity: 1, unitPrice: 1 }],
      },
    };
    await store.appendToStream(tenant, ref, 'no-stream', [placed], metadata);
    const PAGE = 500;
    const decider = deciderForAggregateType('Order');
    if (!decider) throw new Error('no Order decider');
    let state = replay(decider, decider.initialState, [placed as DomainEvent]);
    for (let version = 1; version < STREAM_EVENTS; version += PAGE) {
      const count = Math.min(PAGE, STREAM_EVENTS - version);
      const events = Array.from({ length: count }, (_, index) => ({
        type: 'OrderItemAdded',
        data: { sku: `sku-${version + index}`, quantity: 1, unitPrice: 2.5 },
      }));
      await store.appendToStream(tenant, ref, version, events, metadata);
      state = replay(decider, state, events as DomainEvent[]);
    }
    // As the command path leaves it (a snapshot every 100 events): the state now loads from it.
    await store.writeSnapshot(tenant, ref, STREAM_EVENTS, decider.stateVersion ?? 1, state);
    return order;
  } finally {
    await pool.end();
  }
}

/** A console session of the platform admin: the sign-in form's own token, then the session cookie. */
async function signIn(url: string, adminToken: string): Promise<string> {
  const form = await fetch(`${url}/admin/login`);
  const loginCookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const loginToken = /name="loginToken" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const answer = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ credential: adminToken, loginToken }).toString(),
  });
  const session = (answer.headers.get('set-cookie') ?? '')
    .split(/,(?=\s*eventline)/)
    .map((cookie) => cookie.trim().split(';')[0] ?? '')
    .find((cookie) => cookie.startsWith('eventline_console='));
  if (answer.status !== 303 || !session) throw new Error(`console sign-in answered ${answer.status}`);
  return session;
}

/** Each request alone: the page's time to its last byte, in ms. */
async function timePage(url: string, cookie: string, requests: number): Promise<Float64Array> {
  const times = new Float64Array(requests);
  for (let i = 0; i < requests; i += 1) {
    const started = process.hrtime.bigint();
    // Not followed: a redirect to sign-in would otherwise time the sign-in page.
    const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
    const body = await response.text();
    times[i] = msSince(started);
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
  }
  return times;
}

export async function consoleScenarios(options: {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: (line: string) => void;
}): Promise<ScenarioResult[]> {
  const { quick, log } = options;
  const rounds = quick ? 2 : 5;
  const requests = quick ? 30 : 200;
  const database = await createDatabase(options.endpoints, 'console', { migrated: true });
  const adminToken = randomBytes(24).toString('hex');
  const [port, opsPort] = [await freePort(), await freePort()];
  let gateway: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    log(`console: seeding ${TENANTS} tenants and a ${STREAM_EVENTS}-event stream`);
    const tenant = tenantId(randomUUID());
    await seedTenants(database);
    const order = await seedStream(database, options.schemas, tenant);
    await asAdmin(
      database.adminUrl,
      `INSERT INTO tenants (tenant_id, name, plan, status, commands_per_minute, max_burst, version)
       VALUES ('${tenant}', 'Bench stream owner', 'enterprise', 'active', 600, 100, 1)`,
    );
    gateway = await startService(
      'gateway',
      {
        DATABASE_URL: database.appUrl,
        REDIS_URL: stackSetting('REDIS_URL'),
        ADMIN_TOKEN: adminToken,
        PORT: String(port),
        GATEWAY_OPS_PORT: String(opsPort),
      },
      opsPort,
    );
    const url = `http://127.0.0.1:${port}`;
    const cookie = await signIn(url, adminToken);
    const pages: { id: string; title: string; path: string; requests?: number }[] = [
      {
        id: 'console-tenants',
        title: 'tenant list, first page of 50 (10,000 tenants)',
        path: '/admin/tenants',
      },
      {
        id: 'console-tenants-search',
        title: 'tenant list searched by part of a name (10,000 tenants)',
        path: '/admin/tenants?search=ant%2009',
      },
      {
        id: 'console-stream',
        title: 'stream page, first 100 events (10,000-event stream)',
        path: `/admin/tenants/${tenant}/streams/Order/${order}`,
      },
      {
        id: 'console-stream-latest',
        title: 'stream page, latest 100 events and state now (10,000-event stream)',
        path: `/admin/tenants/${tenant}/streams/Order/${order}?from=${STREAM_EVENTS - 99}`,
        // The largest page: its state holds 10,000 items.
        requests: quick ? 10 : 50,
      },
    ];
    const results: ScenarioResult[] = [];
    for (const page of pages) {
      await timePage(`${url}${page.path}`, cookie, 5);
      const p50: number[] = [];
      const p99: number[] = [];
      for (let round = 0; round < rounds; round += 1) {
        const times = await timePage(`${url}${page.path}`, cookie, page.requests ?? requests);
        const { p50: median, p99: tail } = percentiles(times);
        p50.push(median);
        p99.push(tail);
      }
      log(
        `console: ${page.id} p50 ${p50.map((v) => v.toFixed(1)).join('/')} ms, p99 ${p99.map((v) => v.toFixed(1)).join('/')} ms`,
      );
      results.push({
        id: page.id,
        title: page.title,
        loadGenerator: 'fetch, one request at a time',
        concurrency: 1,
        poolSize: 0,
        warmup: '5 requests',
        rounds,
        perRound: `${page.requests ?? requests} requests`,
        synchronousCommit: {},
        figures: [figure('p50', 'ms', 'lower', p50, NO_PEER), figure('p99', 'ms', 'lower', p99, NO_PEER)],
      });
    }
    return results;
  } finally {
    await gateway?.stop();
    await database.drop();
  }
}

/** p50 and p99 at most 300 ms for the tenant list and the stream's first and latest pages (median of rounds). */
export function consoleTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  return ['console-tenants', 'console-stream', 'console-stream-latest'].flatMap((id) =>
    ['p50', 'p99'].map((name) => {
      const value = scenarios.find((s) => s.id === id)?.figures.find((f) => f.name === name)?.ours?.median;
      const target = `${id} ${name} ≤ ${TARGET_MS} ms`;
      if (value === undefined) return { target, met: null, detail: 'not measured' };
      return { target, met: value <= TARGET_MS, detail: `${value.toFixed(1)} ms (median of rounds)` };
    }),
  );
}
