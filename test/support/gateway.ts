import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { gatewayEnv, type RunningGateway, startGateway } from '../../services/gateway/compose.ts';
import { loadConfig } from '../../services/platform/config/index.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { endpoints } from './endpoints.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopqr';
/** The key-encryption key of personal data in tests: made per test process, never reused. */
export const PERSONAL_DATA_KEK = `test:${randomBytes(32).toString('base64')}`;

export interface TestGateway {
  readonly url: string;
  /** Its ops port: /health, /ready and /metrics. */
  readonly opsUrl: string;
  readonly db: TestDatabase;
  /** Starts another gateway process-alike on the same database and Redis (unless overridden): a second replica. */
  replica(overrides?: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

async function start(databaseUrl: string, overrides: Record<string, string> = {}): Promise<RunningGateway> {
  const config = loadConfig(gatewayEnv, {
    DATABASE_URL: databaseUrl,
    REDIS_URL: endpoints().redisUrl,
    ADMIN_TOKEN,
    JWT_SECRET,
    PERSONAL_DATA_KEK,
    DB_POOL_SIZE: '10',
    // The tests assert Redis' answers (readiness, quotas, the cache): a busy test machine must not
    // open the Redis breaker, or decide a quota locally, on one call slower than the 50 ms default.
    // A test of the fallback sets its own deadline.
    REDIS_TIMEOUT_MS: '2000',
    ...overrides,
  });
  // Port 0 is refused by the contract's schema for operators; tests need any free port.
  return startGateway(
    { ...config, PORT: 0, GATEWAY_OPS_PORT: 0 },
    { log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) },
  );
}

function urlOf(gateway: RunningGateway): string {
  return `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
}

export function opsUrlOf(gateway: RunningGateway): string {
  return `http://127.0.0.1:${gateway.opsPort}`;
}

async function stopGateway(gateway: RunningGateway): Promise<void> {
  for (const step of gateway.shutdownSteps) await step.close();
}

/**
 * A gateway of the test file's own, on its own database; `route` lets a test
 * put something (a TCP proxy it can cut) between the gateway and PostgreSQL.
 */
export async function startTestGateway(
  overrides: Record<string, string> = {},
  route: (appUrl: string) => string = (appUrl) => appUrl,
): Promise<TestGateway> {
  const db = await createTestDatabase('gateway');
  const gateway = await start(route(db.appUrl), overrides);
  const replicas: RunningGateway[] = [];
  return {
    url: urlOf(gateway),
    opsUrl: opsUrlOf(gateway),
    db,
    async replica(replicaOverrides: Record<string, string> = {}) {
      const another = await start(db.appUrl, { ...overrides, ...replicaOverrides });
      replicas.push(another);
      return {
        url: urlOf(another),
        stop: async () => {
          replicas.splice(replicas.indexOf(another), 1);
          await stopGateway(another);
        },
      };
    },
    async stop() {
      await Promise.all([gateway, ...replicas].map(stopGateway));
      await db.drop();
    },
  };
}
