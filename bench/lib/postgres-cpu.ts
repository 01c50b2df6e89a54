import { readdirSync, readFileSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND, cpuTicksOf } from './pipeline.ts';

/**
 * CPU ticks of each PostgreSQL backend serving `database`, by pid, with its
 * login: read from /proc, whose process titles read `postgres: [cluster: ]login
 * database host(port) state`. Empty when the server is not a process on this
 * machine.
 */
export function postgresBackends(database: string): Map<number, { login: string; ticks: number }> {
  const backends = new Map<number, { login: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const named = /^postgres: (?:\S+: )?(\S+) (\S+) /.exec(title);
      if (!named || named[2] !== database) continue;
      backends.set(pid, { login: named[1] ?? '', ticks: cpuTicksOf(pid) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return backends;
}

/**
 * CPU seconds each login's backends spent between two readings. A backend that
 * ended in between is not counted; one that began counts from its start.
 */
export function postgresCpuSince(
  before: ReadonlyMap<number, { login: string; ticks: number }>,
  after: ReadonlyMap<number, { login: string; ticks: number }>,
): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const [pid, { login, ticks }] of after) {
    const spent = (ticks - (before.get(pid)?.ticks ?? 0)) / CLOCK_TICKS_PER_SECOND;
    seconds.set(login, (seconds.get(login) ?? 0) + spent);
  }
  return seconds;
}
