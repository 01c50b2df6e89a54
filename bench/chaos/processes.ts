/**
 * The processes a chaos scenario runs and faults: Eventline's services from
 * dist/ (as scripts/stack/services.sh and bench/lib/pipeline.ts start them), and
 * the infrastructure copies of the scenario's own (Kafka brokers, Redis, a
 * schema registry). Each can be killed with any signal and started again on the
 * same ports; every one still running when the suite exits is SIGKILLed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { usageOf } from '../lib/pipeline.ts';
import { sleep } from '../lib/stack.ts';

export const CHAOS_DIR = join(projectRoot(), '.run', 'chaos');
export const LOG_DIR = join(CHAOS_DIR, 'logs');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface Managed {
  readonly id: string;
  /** The pid of the running process, or undefined while it is down. */
  pid(): number | undefined;
  running(): boolean;
  /** Starts it (again); resolves once `healthy` says so, or at once with `wait: false`. */
  start(options?: { wait?: boolean }): Promise<void>;
  /** Sends the signal and waits for the process to end (SIGKILL after `graceMs`). */
  kill(signal: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** RSS in bytes from /proc, or undefined while it is down. */
  rssBytes(): number | undefined;
}

export interface ManagedSpec {
  readonly id: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd?: string;
  /** True once the process serves; polled after each start. */
  readonly healthy: () => Promise<boolean>;
  readonly startTimeoutMs?: number;
}

async function probe(healthy: () => Promise<boolean>): Promise<boolean> {
  try {
    return await healthy();
  } catch {
    return false;
  }
}

export function managed(spec: ManagedSpec): Managed {
  mkdirSync(LOG_DIR, { recursive: true });
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log: WriteStream | undefined;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  return {
    id: spec.id,
    pid: () => (running() ? child?.pid : undefined),
    running,
    async start(options = {}) {
      if (running()) return;
      log ??= createWriteStream(join(LOG_DIR, `${spec.id}.log`), { flags: 'a' });
      const started = spawn(spec.command, [...spec.args], {
        env: spec.env,
        cwd: spec.cwd ?? projectRoot(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.stdout?.pipe(log, { end: false });
      started.stderr?.pipe(log, { end: false });
      child = started;
      live.add(started);
      exited = new Promise((resolve) =>
        started.once('exit', () => {
          live.delete(started);
          resolve();
        }),
      );
      if (options.wait === false) return;
      const deadline = Date.now() + (spec.startTimeoutMs ?? 90_000);
      while (!(await probe(spec.healthy))) {
        if (!running()) throw new Error(`${spec.id} exited while starting; see ${LOG_DIR}/${spec.id}.log`);
        if (Date.now() > deadline)
          throw new Error(`${spec.id} did not become healthy within ${spec.startTimeoutMs ?? 90_000} ms`);
        await sleep(200);
      }
    },
    async kill(signal, graceMs = 30_000) {
      if (!running()) return;
      child?.kill(signal);
      const ended = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!ended) {
        child?.kill('SIGKILL');
        await exited;
      }
    },
    rssBytes() {
      const pid = running() ? child?.pid : undefined;
      if (pid === undefined) return undefined;
      try {
        return usageOf(pid).rssBytes;
      } catch {
        return undefined;
      }
    },
  };
}

/** GET url answers 2xx. */
export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok;
}

export type ServiceName = 'gateway' | 'relay' | 'projector';

/** Node flags each service runs with wherever it is started (scripts/stack/services.sh, the chart). */
const NODE_FLAGS: Readonly<Record<ServiceName, readonly string[]>> = {
  gateway: ['--max-semi-space-size=8'],
  relay: ['--max-semi-space-size=2'],
  projector: ['--max-semi-space-size=8'],
};

export interface ServiceHandle extends Managed {
  readonly service: ServiceName;
  /** /health, /ready and /metrics. */
  readonly opsUrl: string;
  /** The gateway's API; undefined for the relay and projector. */
  readonly apiUrl: string | undefined;
}

/** A deployable from dist/ on the given ports, healthy once its /ready answers 200 (ok or degraded). */
export function serviceProcess(
  service: ServiceName,
  id: string,
  env: Record<string, string>,
  ports: { readonly ops: number; readonly api?: number },
): ServiceHandle {
  const main = join(projectRoot(), 'dist', 'services', service, 'main.js');
  const opsUrl = `http://127.0.0.1:${ports.ops}`;
  const portEnv: Record<string, string> =
    service === 'gateway'
      ? { GATEWAY_OPS_PORT: String(ports.ops), PORT: String(ports.api ?? 0) }
      : service === 'relay'
        ? { RELAY_PORT: String(ports.ops) }
        : { PROJECTOR_PORT: String(ports.ops) };
  const handle = managed({
    id,
    command: process.execPath,
    args: [...NODE_FLAGS[service], '--enable-source-maps', main],
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, ...portEnv },
    healthy: () => answers(`${opsUrl}/ready`),
  });
  return {
    ...handle,
    service,
    opsUrl,
    apiUrl: ports.api === undefined ? undefined : `http://127.0.0.1:${ports.api}`,
  };
}
