import { SignJWT } from 'jose';
import pg from 'pg';
import { endpoints } from '../support/endpoints.ts';
import { ADMIN_TOKEN, JWT_SECRET, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { type Answer, call } from '../support/http.ts';
import { metricSeries } from '../support/metrics.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

const POSTGRES_BREAKER = 'dependency="postgres",component="gateway"';
const placeOrder = {
  type: 'PlaceOrder',
  payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1, unitPrice: 5 }] },
};

let postgres: TcpProxy;
let gw: TestGateway;

beforeAll(async () => {
  const target = new URL(endpoints().databaseUrl);
  postgres = new TcpProxy(target.hostname, Number(target.port || 5432));
  await postgres.start();
  gw = await startTestGateway({}, (appUrl) => postgres.urlFor(appUrl));
});

afterAll(async () => {
  await postgres.start().catch(() => undefined);
  await gw.stop();
  await postgres.cut();
});

async function breakerState(): Promise<number | undefined> {
  return (await metricSeries(gw.opsUrl, 'circuit_breaker_state')).get(POSTGRES_BREAKER);
}

test("PostgreSQL away: commands get 503 with Retry-After, the breaker opens, and closes once it is back; a command's refusal never opens it", async () => {
  const tenant = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: 'breaker', plan: 'enterprise' },
  });
  expect(tenant.status).toBe(201);
  // A JWT, not an API key: authenticating it needs no database, so every command reaches the breaker.
  const token = await new SignJWT({ tenant_id: String(tenant.body.tenantId), sub: 'ops', roles: ['writer'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(JWT_SECRET));
  const send = (command: object): Promise<Answer> =>
    call(gw.url, 'POST', '/api/v1/commands/execute', {
      headers: { authorization: `Bearer ${token}` },
      body: command,
    });
  const accepted: string[] = [];
  const placed = await send(placeOrder);
  expect(placed.status).toBe(201);
  accepted.push(String(placed.body.aggregateId));
  expect(await breakerState()).toBe(0);

  // Refusals by the domain are answers, not failures of PostgreSQL.
  for (let i = 0; i < 5; i++) {
    const refused = await send({ type: 'DeliverOrder', aggregateId: placed.body.aggregateId, payload: {} });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
  }
  expect(await breakerState()).toBe(0);

  await postgres.cut();
  // Every answer while PostgreSQL is away is kept and judged, not only the one the wait ends on:
  // a 500 or a dropped connection before the breaker opened must fail the test too.
  const during: (Answer | { failed: string })[] = [];
  const sendKept = async (): Promise<void> => {
    during.push(
      await send(placeOrder).catch((error: unknown) => ({
        failed: error instanceof Error ? error.message : String(error),
      })),
    );
  };
  await waitFor(
    'the PostgreSQL breaker to open',
    async () => {
      await sendKept();
      return (await breakerState()) === 2 ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  // And a few while it is open: refused at once, in the same way.
  for (let i = 0; i < 5; i++) await sendKept();
  expect(during.length).toBeGreaterThanOrEqual(6);
  for (const answer of during) {
    expect('status' in answer ? answer.status : answer.failed).toBe(503);
    if (!('status' in answer)) continue;
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.body.status).toBe(503);
  }

  await postgres.start();
  // Until the breaker's trial call succeeds, commands may still be refused: with 503 only.
  const whileRecovering: (number | string)[] = [];
  const recovered = await waitFor(
    'commands to be accepted again',
    async () => {
      const answer = await send(placeOrder).catch((error: unknown) => String(error));
      whileRecovering.push(typeof answer === 'string' ? answer : answer.status);
      return typeof answer !== 'string' && answer.status === 201 ? answer : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  expect(whileRecovering.slice(0, -1).filter((status) => status !== 503)).toEqual([]);
  accepted.push(String(recovered.body.aggregateId));
  expect(await breakerState()).toBe(0);

  const owner = new pg.Client({ connectionString: gw.db.adminUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ stream_id: string }>(
      `SELECT stream_id FROM events WHERE stream_type = 'Order' AND event_type = 'OrderPlaced'`,
    );
    // Exactly the acknowledged orders: none lost, and none of the 503s stored behind the caller's back.
    expect(rows.map((row) => row.stream_id).sort()).toEqual([...accepted].sort());
  } finally {
    await owner.end();
  }
}, 90_000);
