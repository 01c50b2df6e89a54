import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../services/platform/paths/index.ts';
import {
  ALLOCATOR_ENV,
  type ProcessUsage,
  profiling,
  ready,
  SERVICE_NODE_FLAGS,
  usageOf,
} from './pipeline.ts';
import { freePort } from './stack.ts';

/** A floor (bench/floor/): a bare process doing only the I/O a service cannot avoid, to measure against. */
export interface FloorProcess {
  readonly url: string;
  readonly pid: number;
  usage(): ProcessUsage;
  stop(): Promise<void>;
}

/**
 * dist/bench/floor/<script>.js as its own process, with the node flags and
 * allocator setting of the service it stands beside (and profiled as the
 * services are, BENCH_CPU_PROF), FLOOR_PORT set to a free port; resolves once
 * it answers GET /ready there.
 */
export async function startFloor(
  script: string,
  beside: keyof typeof SERVICE_NODE_FLAGS,
  env: Record<string, string>,
): Promise<FloorProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...SERVICE_NODE_FLAGS[beside],
      ...profiling(script),
      join(projectRoot(), 'dist', 'bench', 'floor', `${script}.js`),
    ],
    {
      env: { ...process.env, ...ALLOCATOR_ENV, ...env, FLOOR_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const pid = child.pid ?? 0;
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    await gone;
  };
  try {
    await ready(`${url}/ready`, `the ${script} floor`, 30_000, () => exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid, usage: () => usageOf(pid), stop };
}
