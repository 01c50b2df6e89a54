/**
 * Issue #7: each metric of the platform appears on /metrics after the action that
 * should move it, with the expected labels. Gateway, relay and projector run in
 * this process on one database and one topic prefix of the test's own; each
 * check scrapes, acts, scrapes again and compares.
 */
import { randomUUID } from 'node:crypto';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { guardedOrders } from '../projector/guarded-orders.ts';
import { startTestProjector, startTestRelay } from '../projector/pipeline.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { type Answer, call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** One scrape of a /metrics page, in Prometheus' text format. */
class Scrape {
  private constructor(private readonly samples: readonly Sample[]) {}

  static async of(baseUrl: string): Promise<Scrape> {
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const samples: Sample[] = [];
    for (const line of (await response.text()).split('\n')) {
      const match = SAMPLE.exec(line);
      if (!match || line.startsWith('#')) continue;
      const [, name = '', labelText = '', value = ''] = match;
      const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map(([, key, text]) => [key, text]));
      samples.push({ name, labels, value: Number(value) });
    }
    return new Scrape(samples);
  }

  /** The samples of `name` carrying at least `labels`. */
  series(name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
    return this.samples.filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
  }

  total(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.series(name, labels).reduce((sum, sample) => sum + sample.value, 0);
  }

  /** Every `name{label="value"}` whose value matches `pattern`. */
  labelValuesMatching(pattern: RegExp): string[] {
    return this.samples.flatMap((sample) =>
      Object.entries(sample.labels)
        .filter(([, value]) => pattern.test(value))
        .map(([label, value]) => `${sample.name}{${label}="${value}"}`),
    );
  }

  /** The distinct sets of label names `name` is exported with. */
  labelNames(name: string): string[][] {
    const sets = new Set(this.series(name).map((sample) => Object.keys(sample.labels).sort().join(',')));
    return [...sets].map((set) => (set ? set.split(',') : []));
  }
}

/**
 * The label names a metric should carry: its own, plus `component`, the default
 * label each process's registry adds to name itself (never `service`, which
 * Prometheus sets on Kubernetes targets).
 */
const withComponent = (...names: string[]): string[][] => [[...names, 'component'].sort()];

const moved = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}) =>
  after.total(name, labels) - before.total(name, labels);

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const prefix = `${uniqueName('metrics')}.`;
const ordersTopic = `${prefix}orders.events`;
const placeOrder = (customerId = 'c-1') => ({
  type: 'PlaceOrder',
  payload: { customerId, currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1, unitPrice: 4 }] },
});

// The shipped orders projection, except that one customer's orders break its handler: a poison event.
const refusing = guardedOrders((event) => {
  if (event.data.customerId === 'poison') throw new Error('this customer breaks the handler');
});

let gw: TestGateway;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let relayUrl: string;
let projectorUrl: string;
let writer: { 'x-api-key': string };
/** Each process's /metrics right after it started, before any action. */
const atStart = new Map<'gateway' | 'relay' | 'projector', Scrape>();

async function createTenant(plan: 'free' | 'pro' | 'enterprise'): Promise<{ id: string; key: string }> {
  const answer = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: admin,
    body: { name: `t-${randomUUID()}`, plan },
  });
  expect(answer.status).toBe(201);
  return { id: String(answer.body.tenantId), key: String(answer.body.apiKey) };
}

function command(key: string, body: unknown): Promise<Answer> {
  return call(gw.url, 'POST', '/api/v1/commands/execute', { headers: { 'x-api-key': key }, body });
}

async function setQuota(tenant: string, quota: Record<string, number>): Promise<void> {
  const answer = await call(gw.url, 'POST', `/api/v1/tenants/${tenant}/commands/execute`, {
    headers: admin,
    body: { type: 'SetTenantQuota', payload: quota },
  });
  expect(answer.status).toBe(200);
}

/** Scrapes until `condition` holds, or fails at the deadline. */
function scrapeUntil(what: string, baseUrl: string, condition: (scrape: Scrape) => boolean): Promise<Scrape> {
  return waitFor(
    what,
    async () => {
      const scrape = await Scrape.of(baseUrl);
      return condition(scrape) ? scrape : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

beforeAll(async () => {
  gw = await startTestGateway();
  atStart.set('gateway', await Scrape.of(gw.opsUrl));
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(gw.db, prefix);
  projector = await startTestProjector(gw.db, prefix, { only: ['orders'], projections: [refusing] });
  relayUrl = `http://127.0.0.1:${relay.port}`;
  projectorUrl = `http://127.0.0.1:${projector.port}`;
  atStart.set('relay', await Scrape.of(relayUrl));
  atStart.set('projector', await Scrape.of(projectorUrl));
  writer = { 'x-api-key': (await createTenant('enterprise')).key };
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await gw.stop();
  await deleteSubjects(prefix);
});

describe('gateway', () => {
  test('requests, commands, a query and quota refusals move their counters, labelled by route template, type, outcome, result and plan', async () => {
    const before = await Scrape.of(gw.opsUrl);

    const tiny = await createTenant('free');
    await setQuota(tiny.id, { commandsPerMinute: 1, maxBurst: 1 });
    const fewEvents = await createTenant('free');
    await setQuota(fewEvents.id, { commandsPerMinute: 1000, eventsPerDay: 1 });

    const accepted = await command(writer['x-api-key'], placeOrder());
    expect(accepted.status).toBe(201);
    const invalid = await command(writer['x-api-key'], {
      type: 'PlaceOrder',
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'a', quantity: 0, unitPrice: 1 }] },
    });
    expect(invalid.status).toBe(400);
    // A body the command envelope refuses (an unknown field) is counted too, under a type a client cannot invent.
    const malformed = await command(writer['x-api-key'], { ...placeOrder(), priority: 'high' });
    expect(malformed.status).toBe(400);
    const invented = await command(writer['x-api-key'], { type: `Made-up-${randomUUID()}`, payload: {} });
    expect(invented.status).toBe(400);
    const missing = await call(gw.url, 'GET', `/api/v1/aggregates/Order/${randomUUID()}`, {
      headers: writer,
    });
    expect(missing.status).toBe(404);
    expect((await call(gw.url, 'GET', '/api/v1/no-such-route', { headers: writer })).status).toBe(404);
    const query = await call(gw.url, 'POST', '/api/v1/queries/execute', {
      headers: writer,
      body: { type: 'GetTenantStats', params: {} },
    });
    expect(query.status).toBe(200);
    expect(query.headers.get('x-cache')).toBe('miss');
    expect((await command(tiny.key, placeOrder())).status).toBe(201);
    expect((await command(tiny.key, placeOrder())).status).toBe(429);
    expect((await command(fewEvents.key, placeOrder())).status).toBe(201);
    expect((await command(fewEvents.key, placeOrder())).status).toBe(429);

    const after = await Scrape.of(gw.opsUrl);

    expect(after.labelNames('http_requests_total')).toEqual(withComponent('method', 'route', 'status_code'));
    const requests = (route: string, method: string, status_code: string) =>
      moved(before, after, 'http_requests_total', { method, route, status_code });
    expect(requests('/api/v1/tenants', 'POST', '201')).toBe(2);
    expect(requests('/api/v1/tenants/:tenantId/commands/execute', 'POST', '200')).toBe(2);
    expect(requests('/api/v1/commands/execute', 'POST', '201')).toBe(3);
    expect(requests('/api/v1/commands/execute', 'POST', '400')).toBe(3);
    expect(requests('/api/v1/commands/execute', 'POST', '429')).toBe(2);
    expect(requests('/api/v1/aggregates/:aggregateType/:aggregateId', 'GET', '404')).toBe(1);
    expect(requests('unmatched', 'GET', '404')).toBe(1);
    // Templates only: an id in a route would make one series per aggregate.
    for (const sample of after.series('http_requests_total')) {
      expect(sample.labels.route).not.toMatch(UUID);
      expect(sample.labels.route).not.toContain('no-such-route');
    }

    const durations = 'http_request_duration_seconds';
    expect(after.labelNames(`${durations}_count`)).toEqual(withComponent('method', 'route', 'status_code'));
    expect(after.labelNames(`${durations}_bucket`)).toEqual(
      withComponent('le', 'method', 'route', 'status_code'),
    );
    const commandRoute = { method: 'POST', route: '/api/v1/commands/execute', status_code: '201' };
    expect(moved(before, after, `${durations}_count`, commandRoute)).toBe(3);
    expect(after.series(`${durations}_bucket`, { ...commandRoute, le: '+Inf' })).toHaveLength(1);

    expect(after.labelNames('commands_total')).toEqual(withComponent('outcome', 'type'));
    const commands = (type: string, outcome: string) =>
      moved(before, after, 'commands_total', { type, outcome });
    expect(commands('PlaceOrder', 'accepted')).toBe(3);
    expect(commands('PlaceOrder', 'invalid')).toBe(2);
    expect(commands('unknown', 'invalid')).toBe(1);
    expect(commands('PlaceOrder', 'quota-exceeded')).toBe(2);
    expect(commands('SetTenantQuota', 'accepted')).toBe(2);

    expect(after.labelNames('query_cache_requests_total')).toEqual(withComponent('result'));
    expect(moved(before, after, 'query_cache_requests_total', { result: 'miss' })).toBe(1);
    expect(requests('/api/v1/queries/execute', 'POST', '200')).toBe(1);

    expect(after.labelNames('quota_rejections_total')).toEqual(withComponent('limit', 'plan'));
    expect(moved(before, after, 'quota_rejections_total', { plan: 'free', limit: 'commands' })).toBe(1);
    expect(moved(before, after, 'quota_rejections_total', { plan: 'free', limit: 'events' })).toBe(1);
    // Per plan, never per tenant: the cardinality rule of docs/operability.md.
    for (const sample of after.series('quota_rejections_total')) expect(sample.labels.plan).toBe('free');
  });

  test('its breakers (postgres, redis) read 0 and its pool gauges are exported once started', async () => {
    const scrape = startScrape('gateway');
    expectBreakersClosed(scrape, ['postgres', 'redis']);
    expectPoolGauges(scrape, 10);
  });
});

describe('relay', () => {
  test('an event relayed moves the published counter and the latency histograms; the backlog drains to 0', async () => {
    const before = await Scrape.of(relayUrl);
    expect((await command(writer['x-api-key'], placeOrder())).status).toBe(201);

    const published = 'eventline_relay_events_published_total';
    const after = await scrapeUntil(
      'the order published',
      relayUrl,
      (scrape) => moved(before, scrape, published, { topic: ordersTopic }) >= 1,
    );
    expect(after.labelNames(published)).toEqual(withComponent('topic'));
    expect(moved(before, after, published, { topic: ordersTopic })).toBeGreaterThanOrEqual(1);
    for (const latency of [
      'eventline_relay_commit_to_ack_seconds',
      'eventline_relay_outbox_read_seconds',
      'eventline_relay_send_seconds',
    ]) {
      expect(moved(before, after, `${latency}_count`)).toBeGreaterThanOrEqual(1);
      expect(after.total(`${latency}_sum`)).toBeGreaterThan(0);
      expect(after.labelNames(`${latency}_bucket`)).toEqual(withComponent('le'));
    }

    const drained = await scrapeUntil(
      'the outbox drained',
      relayUrl,
      (scrape) => scrape.series('eventline_relay_outbox_backlog_rows')[0]?.value === 0,
    );
    expect(drained.labelNames('eventline_relay_outbox_backlog_rows')).toEqual(withComponent());
    expect(drained.series('eventline_relay_outbox_oldest_age_seconds')).toEqual([
      { name: 'eventline_relay_outbox_oldest_age_seconds', labels: { component: 'relay' }, value: 0 },
    ]);
    expect(drained.labelNames('eventline_relay_errors_total')).toEqual(withComponent('kind'));
  });

  test('its breakers (postgres, kafka, schema-registry) read 0 and its pool gauges are exported once started', async () => {
    const scrape = startScrape('relay');
    expectBreakersClosed(scrape, ['kafka', 'postgres', 'schema-registry']);
    expectPoolGauges(scrape);
  });
});

describe('projector', () => {
  test('an event projected moves applied, batch duration and lag; a poison event moves the dead-letter total', async () => {
    const before = await Scrape.of(projectorUrl);
    expect((await command(writer['x-api-key'], placeOrder())).status).toBe(201);

    const applied = 'eventline_projector_events_applied_total';
    const after = await scrapeUntil(
      'the order applied',
      projectorUrl,
      (scrape) => moved(before, scrape, applied, { projection: 'orders' }) >= 1,
    );
    expect(after.labelNames(applied)).toEqual(withComponent('projection'));
    const batches = 'eventline_projector_batch_duration_seconds_count';
    expect(moved(before, after, batches, { projection: 'orders' })).toBeGreaterThanOrEqual(1);
    for (const lag of ['eventline_projector_lag_messages', 'eventline_projector_lag_seconds']) {
      expect(after.labelNames(lag)).toEqual(withComponent('partition', 'projection', 'topic'));
      const series = after.series(lag, { projection: 'orders', topic: ordersTopic });
      expect(series.length).toBeGreaterThanOrEqual(1);
      for (const sample of series) expect(sample.labels.partition).toMatch(/^\d+$/);
    }
    await scrapeUntil('the orders projection caught up', projectorUrl, (scrape) =>
      scrape.series('eventline_projector_lag_messages', { projection: 'orders' }).every((s) => s.value === 0),
    );

    const parked = 'eventline_projector_dead_letters_total';
    const beforePoison = await Scrape.of(projectorUrl);
    expect((await command(writer['x-api-key'], placeOrder('poison'))).status).toBe(201);
    const afterPoison = await scrapeUntil(
      'the poison event parked',
      projectorUrl,
      (scrape) => moved(beforePoison, scrape, parked, { projection: 'orders' }) >= 1,
    );
    expect(afterPoison.labelNames(parked)).toEqual(withComponent('projection'));
    expect(moved(beforePoison, afterPoison, parked, { projection: 'orders' })).toBe(1);
  });

  test('its breakers (postgres, kafka, schema-registry) read 0 and its pool gauges are exported once started', async () => {
    const scrape = startScrape('projector');
    expectBreakersClosed(scrape, ['kafka', 'postgres', 'schema-registry']);
    expectPoolGauges(scrape);
  });
});

test('every process serves the default process metrics, and no label anywhere carries an id', async () => {
  for (const url of [gw.opsUrl, relayUrl, projectorUrl]) {
    const scrape = await Scrape.of(url);
    expect(scrape.labelValuesMatching(UUID)).toEqual([]);
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect({ url, name, series: scrape.series(name).length }).toEqual({ url, name, series: 1 });
    }
    expect(scrape.total('process_resident_memory_bytes')).toBeGreaterThan(0);
  }
});

function startScrape(service: 'gateway' | 'relay' | 'projector'): Scrape {
  const scrape = atStart.get(service);
  if (!scrape) throw new Error(`no scrape of the ${service} at its start`);
  return scrape;
}

/**
 * circuit_breaker_state{dependency} at 0 (closed) for each of these dependencies,
 * one series each; a process may guard more dependencies than these.
 */
function expectBreakersClosed(scrape: Scrape, dependencies: readonly string[]): void {
  expect(scrape.labelNames('circuit_breaker_state')).toEqual(withComponent('dependency'));
  for (const dependency of dependencies) {
    const states = scrape.series('circuit_breaker_state', { dependency }).map((sample) => sample.value);
    expect({ dependency, states }).toEqual({ dependency, states: [0] });
  }
}

/** db_pool_size, db_pool_available and db_pool_waiting of the main pool, consistent with each other. */
function expectPoolGauges(scrape: Scrape, size?: number): void {
  for (const name of ['db_pool_size', 'db_pool_available', 'db_pool_waiting']) {
    expect({ name, labels: scrape.labelNames(name) }).toEqual({ name, labels: withComponent('pool') });
    expect(scrape.series(name, { pool: 'main' })).toHaveLength(1);
  }
  const total = scrape.total('db_pool_size', { pool: 'main' });
  if (size !== undefined) expect(total).toBe(size);
  expect(total).toBeGreaterThan(0);
  expect(scrape.total('db_pool_available', { pool: 'main' })).toBeLessThanOrEqual(total);
  expect(scrape.total('db_pool_waiting', { pool: 'main' })).toBeGreaterThanOrEqual(0);
}
