import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { endpoints } from './endpoints.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

const GATEWAY_MAIN = join(projectRoot(), 'dist/services/gateway/main.js');

export interface GatewayProcess {
  readonly url: string;
  /** Its ops port: /health, /ready and /metrics. */
  readonly opsUrl: string;
  readonly adminToken: string;
  readonly child: ChildProcess;
  /** The exit code, once the process has ended. */
  readonly exited: Promise<number | null>;
  /** SIGKILL unless it has ended already. */
  kill(): Promise<void>;
  /** Its JSON log lines so far, when started with `logs: true`. */
  readonly logLines: readonly string[];
}

/** The built gateway (dist/) as its own process, as operators run it; answers /health when this resolves. */
export async function startGatewayProcess(env: {
  databaseUrl: string;
  redisUrl?: string;
  /** Keep its log lines (level info) for the test to read, instead of discarding them. */
  logs?: boolean;
  /** Resolve at once, not when /health answers (a gateway that waits for its database). */
  waitForHealth?: boolean;
  /** More variables, e.g. OPERATIONS_DATABASE_URL and Kafka's for the admin console's operations. */
  extraEnv?: Record<string, string>;
}): Promise<GatewayProcess> {
  if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: build first (make build)`);
  const [port, opsPort] = [await freePort(), await freePort()];
  const adminToken = `gateway-process-admin-${randomUUID()}`;
  const child = spawn(process.execPath, [GATEWAY_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl ?? endpoints().redisUrl,
      ADMIN_TOKEN: adminToken,
      JWT_SECRET: `gateway-process-jwt-${randomUUID()}`,
      PERSONAL_DATA_KEK: `test:${randomBytes(32).toString('base64')}`,
      PORT: String(port),
      GATEWAY_OPS_PORT: String(opsPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: env.logs ? 'info' : (process.env.GATEWAY_TEST_LOG_LEVEL ?? 'silent'),
      ...env.extraEnv,
    },
    stdio: [
      'ignore',
      env.logs ? 'pipe' : process.env.GATEWAY_TEST_LOG_LEVEL ? 'inherit' : 'ignore',
      'inherit',
    ],
  });
  const logLines: string[] = [];
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => logLines.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  if (env.waitForHealth !== false) await health(url);
  return {
    url,
    opsUrl: `http://127.0.0.1:${opsPort}`,
    adminToken,
    child,
    exited,
    logLines,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resolves once the gateway at `url` answers /health. */
export async function health(url: string): Promise<void> {
  await waitFor('the gateway process to answer /health', async () => {
    try {
      return (await fetch(`${url}/health`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  });
}
