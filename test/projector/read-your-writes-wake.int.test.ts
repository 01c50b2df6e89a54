import { randomUUID } from 'node:crypto';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { type Answer, call } from '../support/http.ts';
import { metricSeries } from '../support/metrics.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { startTestProjector, startTestRelay } from './pipeline.ts';

/**
 * A read-your-writes wait ends on the projector's announcement, not on a look
 * of its own: this gateway's waits would look again only after ten minutes,
 * longer than any wait may last, so an answer before the wait's deadline can
 * only come from the announcement.
 */
const RECHECK_MS = '600000';
const WAIT_MS = 30_000;

let gw: TestGateway;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
const prefix = `${uniqueName('projwake')}.`;

beforeAll(async () => {
  gw = await startTestGateway({ READ_YOUR_WRITES_RECHECK_MS: RECHECK_MS });
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(gw.db, prefix);
  projector = await startTestProjector(gw.db, prefix);
  await waitFor('the gateway to hear announcements', async () => {
    const ready = await call(gw.opsUrl, 'GET', '/ready');
    const checks = ready.body.checks as Record<string, { status: string }> | undefined;
    return checks?.['read-your-writes']?.status === 'up' ? true : undefined;
  });
});

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await gw.stop();
  await deleteSubjects(prefix);
});

async function tenantKey(): Promise<Record<string, string>> {
  const created = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `t-${randomUUID()}`, plan: 'enterprise' },
  });
  expect(created.status).toBe(201);
  return { 'x-api-key': String(created.body.apiKey) };
}

const placeOrder = async (key: Record<string, string>): Promise<Answer> => {
  const placed = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: key,
    body: {
      type: 'PlaceOrder',
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'a', quantity: 1, unitPrice: 4 }] },
    },
  });
  expect(placed.status).toBe(201);
  return placed;
};

const getOrder = (key: Record<string, string>, orderId: string, position: unknown) =>
  call(gw.url, 'POST', '/api/v1/queries/execute', {
    headers: { ...key, 'X-Min-Position': String(position), 'X-Wait-Timeout-Ms': String(WAIT_MS) },
    body: { type: 'GetOrder', params: { orderId } },
  });

async function waiting(): Promise<number> {
  return (await metricSeries(gw.opsUrl, 'read_your_writes_waits')).get('component="gateway"') ?? 0;
}

test('a waiting query is answered when the projector announces the batch that reaches it', async () => {
  const key = await tenantKey();
  // The pipeline runs end to end (the consumer groups have joined) before the wait under test.
  const first = await placeOrder(key);
  const seen = await getOrder(key, String(first.body.aggregateId), first.body.position);
  expect(seen.status).toBe(200);

  // With the relay away the order stays in the outbox: the query must wait for it.
  await relay?.close();
  relay = undefined;
  const placed = await placeOrder(key);
  const orderId = String(placed.body.aggregateId);
  const asked = Date.now();
  const answer = getOrder(key, orderId, placed.body.position);
  await waitFor('the query to wait', async () => ((await waiting()) === 1 ? true : undefined));

  relay = await startTestRelay(gw.db, prefix);
  const answered = await answer;
  expect(answered.status).toBe(200);
  expect(answered.body).toMatchObject({
    data: { orderId, status: 'placed', total: 4 },
    position: Number(placed.body.position),
  });
  // Not the look at the deadline: that one would come only after WAIT_MS.
  expect(Date.now() - asked).toBeLessThan(WAIT_MS);
  expect(await waiting()).toBe(0);

  // Another tenant cannot wait on this tenant's position.
  const foreign = await getOrder(await tenantKey(), orderId, placed.body.position);
  expect(foreign.status).toBe(400);
  expect(foreign.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}, 90_000);
