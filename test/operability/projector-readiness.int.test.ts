import { Redis } from 'ioredis';
import { createLogger } from '../../services/platform/telemetry/index.ts';
import { type RunningProjector, startProjector } from '../../services/projector/index.ts';
import { DEFAULT_CACHE_KEY_PREFIX, generationKey } from '../../services/querycache/cache-keys.ts';
import { parseWatermark } from '../../services/querycache/watermark-text.ts';
import { type RunningRelay, startRelay } from '../../services/relay/index.ts';
import { awaitCaughtUp } from '../projector/pipeline.ts';
import { Workload } from '../projector/workload.ts';
import { applyTestTopology, asOwner, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { type KafkaInstance, startKafkaInstance } from '../support/kafka-instance.ts';
import { uniqueName } from '../support/names.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { metricSeries } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;
let kafka: KafkaInstance;
let postgres: TcpProxy;
let redisProxy: TcpProxy;
let redis: Redis;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;
let workload: Workload;
let orders = 0;
const KAFKA_OUTAGE_MS = 30_000;
const prefix = `${uniqueName('projready')}.`;
const log = () => createLogger('test', process.env.PROJECTOR_TEST_LOG_LEVEL ?? 'silent');

function proxyFor(url: string, defaultPort: number): TcpProxy {
  const target = new URL(url);
  return new TcpProxy(target.hostname, Number(target.port || defaultPort));
}

beforeAll(async () => {
  // A broker of the test's own, so stopping it disturbs no other test file.
  [db, kafka] = await Promise.all([createTestDatabase('projready'), startKafkaInstance()]);
  await applyTestTopology(prefix, kafka.brokers);
  // Only the projector goes through the proxies: commands, the relay and the test's checks reach
  // PostgreSQL and Redis directly, so they keep working while the projector's way there is cut.
  postgres = proxyFor(db.projectorUrl, 5432);
  redisProxy = proxyFor(endpoints().redisUrl, 6379);
  await Promise.all([postgres.start(), redisProxy.start()]);
  redis = new Redis(endpoints().redisUrl);
  relay = await startRelay({
    databaseUrl: db.relayUrl,
    kafka: { brokers: kafka.brokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: log(),
  });
  workload = await Workload.open(db.appUrl, 2);
  await workload.createTenants();
  projector = await startProjector({
    databaseUrl: postgres.urlFor(db.projectorUrl),
    kafka: { brokers: kafka.brokers },
    schemaRegistry: { url: endpoints().schemaRegistryUrl },
    topicPrefix: prefix,
    host: '127.0.0.1',
    port: 0,
    log: log(),
    redis: { url: redisProxy.urlFor(endpoints().redisUrl) },
  });
}, 180_000);

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await workload?.close();
  redis?.disconnect();
  await Promise.all([postgres?.cut(), redisProxy?.cut()]);
  await kafka?.destroy();
  await db?.drop();
  await deleteSubjects(prefix);
});

interface Report {
  status: string;
  checks: Record<string, { status: string }>;
}

/** Waits until /ready says `status` with the HTTP status that goes with it. */
function readyTurns(status: 'ok' | 'degraded' | 'down', timeoutMs = 30_000): Promise<Report> {
  return waitFor(
    `the projector's /ready to say ${status}`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${projector?.port}/ready`);
      const report = (await response.json()) as Report;
      const expectedHttp = status === 'down' ? 503 : 200;
      return report.status === status && response.status === expectedHttp ? report : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

function downChecks(report: Report): string[] {
  return Object.entries(report.checks)
    .filter(([, check]) => check.status === 'down')
    .map(([name]) => name);
}

/** How often the orders projection retried a batch because a dependency was away. */
async function infrastructureRetries(): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${projector?.port}/metrics`)).text();
  const sample = /^eventline_projector_infrastructure_retries_total\{projection="orders"[^}]*\} (\d+)$/m.exec(
    metrics,
  );
  return Number(sample?.[1] ?? 0);
}

/** circuit_breaker_state{dependency="postgres"}: 0 closed, 1 half-open, 2 open. */
async function postgresBreaker(): Promise<number | undefined> {
  return (await metricSeries(`http://127.0.0.1:${projector?.port}`, 'circuit_breaker_state')).get(
    'dependency="postgres",component="projector"',
  );
}

/** An outage is waited out, never dead-lettered. */
async function deadLetters(): Promise<number> {
  const [row] = await asOwner<{ n: string }>(
    db.adminUrl,
    'SELECT count(*) AS n FROM readmodels.dead_letters',
  );
  return Number(row?.n);
}

/** True once every tenant's orders generation in Redis is at the tenant's last position. */
async function generationsCurrent(): Promise<true | undefined> {
  for (const tenant of workload.tenants) {
    const mark = parseWatermark(await redis.get(generationKey(DEFAULT_CACHE_KEY_PREFIX, tenant, 'orders')));
    if (mark?.position !== workload.lastPosition.get(tenant)) return undefined;
  }
  return true;
}

/** One more order per tenant, written straight to the event store. */
async function placeOrders(): Promise<void> {
  const n = orders++;
  await Promise.all(workload.tenants.map((tenant) => workload.order(tenant, n)));
}

test('starts ok and projects', async () => {
  await placeOrders();
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  await readyTurns('ok');
}, 90_000);

test('PostgreSQL cut: 503 down naming postgres while /health stays up; restored: ok, and the events written meanwhile are projected', async () => {
  const retriesBefore = await infrastructureRetries();
  await postgres.cut();
  const down = await readyTurns('down');
  expect(downChecks(down)).toContain('postgres');
  expect(down.checks.kafka?.status).toBe('up');
  expect((await fetch(`http://127.0.0.1:${projector?.port}/health`)).status).toBe(200);
  await placeOrders();
  // The relay publishes them; the projector holds them and retries the batch in place, parking nothing.
  await waitFor('a batch retried for the missing database', async () =>
    (await infrastructureRetries()) > retriesBefore ? true : undefined,
  );
  // Retries then fail fast: PostgreSQL's breaker is open.
  await waitFor('the PostgreSQL breaker to open', async () =>
    (await postgresBreaker()) === 2 ? true : undefined,
  );

  await postgres.start();
  await readyTurns('ok');
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  expect(await postgresBreaker()).toBe(0);
  expect(await deadLetters()).toBe(0);
}, 120_000);

// Without Kafka the projector has nothing to apply, but nothing is lost and it needs no restart:
// like the relay, it says degraded (200), keeping 503 for a database it cannot write to.
test('Kafka stopped: degraded naming kafka, not down; started again: ok, and the events written meanwhile are projected', async () => {
  await kafka.stop();
  const stoppedAt = Date.now();
  const degraded = await readyTurns('degraded');
  expect(downChecks(degraded)).toContain('kafka');
  expect(degraded.checks.postgres?.status).toBe('up');
  // Long enough for the consumers to exhaust their retries and restart: commands go on meanwhile.
  while (Date.now() - stoppedAt < KAFKA_OUTAGE_MS) await placeOrders();
  expect((await readyTurns('degraded')).checks.postgres?.status).toBe('up');

  await kafka.start();
  await awaitCaughtUp(db.appUrl, workload.lastPosition, undefined, 120_000);
  await readyTurns('ok', 60_000);
  expect(await deadLetters()).toBe(0);
}, 300_000);

test('Redis cut: degraded naming only redis, projecting goes on; restored: ok, and the read models’ generations reach Redis again', async () => {
  await redisProxy.cut();
  const degraded = await readyTurns('degraded');
  expect(downChecks(degraded)).toEqual(['redis']);
  await placeOrders();
  await awaitCaughtUp(db.appUrl, workload.lastPosition);

  await redisProxy.start();
  await readyTurns('ok');
  // Generations move again with the next batch that finds Redis (the marks held meanwhile go with
  // it); one batch may still fall in the second Redis is skipped after a failure, hence a batch per try.
  await waitFor(
    'the read models’ generations in Redis again',
    async () => {
      await placeOrders();
      await awaitCaughtUp(db.appUrl, workload.lastPosition);
      return waitFor('each tenant’s orders generation at its last position', generationsCurrent, {
        timeoutMs: 2_000,
      });
    },
    { timeoutMs: 30_000 },
  );
}, 120_000);
