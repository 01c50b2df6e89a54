import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

export type ServiceName = 'gateway' | 'relay' | 'projector';

const OPS_PORT: Readonly<Record<ServiceName, string>> = {
  gateway: 'GATEWAY_OPS_PORT',
  relay: 'RELAY_PORT',
  projector: 'PROJECTOR_PORT',
};

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** /health, /ready and /metrics. */
  readonly opsUrl: string;
  /** The gateway's API; undefined for the relay and projector. */
  readonly apiUrl: string | undefined;
  /** Every line it wrote, stdout and stderr, so far. */
  readonly output: readonly string[];
  /** The exit code once it has ended. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * A built deployable (dist/) as its own process with exactly `env` (and PATH),
 * as an operator runs it, its output kept for the test to read. Resolves once
 * it answers /health, or, with `waitForHealth: false`, at once.
 */
export async function startServiceProcess(
  service: ServiceName,
  env: Record<string, string>,
  options: { waitForHealth?: boolean } = {},
): Promise<ServiceProcess> {
  const main = join(projectRoot(), `dist/services/${service}/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (make build)`);
  const opsPort = await freePort();
  const apiPort = service === 'gateway' ? await freePort() : undefined;
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      [OPS_PORT[service]]: String(opsPort),
      ...(apiPort ? { PORT: String(apiPort) } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => output.push(line));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const opsUrl = `http://127.0.0.1:${opsPort}`;
  const running: ServiceProcess = {
    child,
    opsUrl,
    apiUrl: apiPort ? `http://127.0.0.1:${apiPort}` : undefined,
    output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  if (options.waitForHealth !== false) {
    await waitFor(
      `${service} to answer /health`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${service} exited ${child.exitCode}: ${output.join('\n')}`);
        return (await fetch(`${opsUrl}/health`)).ok ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }
  return running;
}

/** /ready's report once `accept` takes it (e.g. every check up), or the last one seen at the deadline. */
export async function readinessOf(
  service: ServiceProcess,
  accept: (report: ReadyReport) => boolean,
  timeoutMs = 30_000,
): Promise<ReadyReport> {
  let last: ReadyReport | undefined;
  try {
    return await waitFor(
      'a /ready report',
      async () => {
        last = (await (await fetch(`${service.opsUrl}/ready`)).json()) as ReadyReport;
        return accept(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    if (last) return last;
    throw error;
  }
}

export interface ReadyReport {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly checks: Readonly<Record<string, { status: 'up' | 'down'; error?: string }>>;
}
