import { endpoints } from '../support/endpoints.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;
let postgres: TcpProxy;
let redis: TcpProxy;
let gateway: GatewayProcess;

beforeAll(async () => {
  db = await createTestDatabase('readiness');
  const pgTarget = new URL(db.appUrl);
  const redisTarget = new URL(endpoints().redisUrl);
  postgres = new TcpProxy(pgTarget.hostname, Number(pgTarget.port || 5432));
  redis = new TcpProxy(redisTarget.hostname, Number(redisTarget.port || 6379));
  await Promise.all([postgres.start(), redis.start()]);
  gateway = await startGatewayProcess({
    databaseUrl: postgres.urlFor(db.appUrl),
    redisUrl: redis.urlFor(endpoints().redisUrl),
  });
});

afterAll(async () => {
  await gateway.kill();
  await Promise.all([postgres.cut(), redis.cut()]);
  await db.drop();
});

interface Report {
  status: string;
  checks: Record<string, { status: string }>;
}

/** Waits until /ready says `status` with the HTTP status that goes with it. */
function readyTurns(status: 'ok' | 'degraded' | 'down'): Promise<Report> {
  return waitFor(`/ready to say ${status}`, async () => {
    const response = await fetch(`${gateway.url}/ready`);
    const report = (await response.json()) as Report;
    const expectedHttp = status === 'down' ? 503 : 200;
    return report.status === status && response.status === expectedHttp ? report : undefined;
  });
}

test('/ready: degraded without Redis, down (503) without PostgreSQL, ok again once each is back', async () => {
  await readyTurns('ok');

  await redis.cut();
  const degraded = await readyTurns('degraded');
  const downChecks = Object.entries(degraded.checks)
    .filter(([, check]) => check.status === 'down')
    .map(([name]) => name);
  // Only what needs Redis: its client, and the subscription read-your-writes waits are woken by.
  expect(downChecks).toContain('redis');
  expect(downChecks.filter((name) => name !== 'redis' && name !== 'read-your-writes')).toEqual([]);
  await redis.start();
  await readyTurns('ok');

  await postgres.cut();
  const down = await readyTurns('down');
  expect(down.checks.postgres?.status).toBe('down');
  expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
  await postgres.start();
  await readyTurns('ok');
});
