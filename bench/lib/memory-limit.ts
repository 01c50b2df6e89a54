/**
 * A memory cgroup for one service process, as a Kubernetes memory limit puts
 * a container in one: the kernel caps the process's memory, and Node sizes
 * V8's heap from the cap (process.constrainedMemory()), so the heap slack a
 * benchmark sees without a limit is not what a pod has. Written here because
 * no well-kept package does it: it is two files of the cgroup filesystem.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../services/platform/paths/index.ts';

/** cgroup v2 (one hierarchy, `memory.max`) or v1 (the memory controller's own, `memory.limit_in_bytes`). */
const HIERARCHIES = [
  { root: '/sys/fs/cgroup', controllers: 'cgroup.controllers', limit: 'memory.max', peak: 'memory.peak' },
  {
    root: '/sys/fs/cgroup/memory',
    controllers: 'memory.limit_in_bytes',
    limit: 'memory.limit_in_bytes',
    peak: 'memory.max_usage_in_bytes',
  },
] as const;

export class MemoryLimit {
  private constructor(
    private readonly directory: string,
    private readonly peakFile: string,
    readonly bytes: number,
  ) {}

  /** A cgroup of its own capped at `bytes`; or why there can be none here (not root, no memory controller). */
  static create(name: string, bytes: number): MemoryLimit | string {
    for (const hierarchy of HIERARCHIES) {
      const controllers = join(hierarchy.root, hierarchy.controllers);
      if (!existsSync(controllers)) continue;
      if (
        hierarchy.limit === 'memory.max' &&
        !readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')
      )
        continue;
      const directory = join(hierarchy.root, `eventline-bench-${name}-${process.pid}`);
      try {
        mkdirSync(directory);
        writeFileSync(join(directory, hierarchy.limit), String(bytes));
        return new MemoryLimit(directory, join(directory, hierarchy.peak), bytes);
      } catch (error) {
        return `no memory cgroup could be made in ${hierarchy.root}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return 'no memory cgroup controller on this machine';
  }

  /** The command and arguments that run `command` inside the cgroup (the same process: exec). */
  wrap(command: string, args: readonly string[]): [string, string[]] {
    return ['/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.directory, command, ...args]];
  }

  /** The most memory the cgroup's processes held at once, page cache included, as the kernel enforces it. */
  peakBytes(): number {
    return existsSync(this.peakFile) ? Number(readFileSync(this.peakFile, 'utf8').trim()) : Number.NaN;
  }

  /** Once its processes have exited; one still running (a stop that timed out) leaves it for the kernel to report. */
  remove(log: (line: string) => void): void {
    try {
      rmdirSync(this.directory);
    } catch (error) {
      log(
        `the memory cgroup ${this.directory} stays: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** A service's memory limit in the Helm chart's values (`<service>.resources.limits.memory`), in bytes. */
export function chartMemoryLimit(service: string): number {
  const values = parse(
    readFileSync(join(projectRoot(), 'charts', 'eventline', 'values.yaml'), 'utf8'),
  ) as Record<string, { resources?: { limits?: { memory?: string } } } | undefined>;
  const quantity = values[service]?.resources?.limits?.memory ?? '';
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`the chart gives ${service} no memory limit in Mi or Gi (found "${quantity}")`);
  return Number(match[1]) * 2 ** (match[2] === 'Gi' ? 30 : 20);
}
