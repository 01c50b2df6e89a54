import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { asAdmin } from './databases.ts';

/** What the figures were measured on. */
export interface Environment {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryBytes: number;
  readonly platform: string;
  readonly node: string;
  readonly postgres: string;
  /** The server's durability settings, as the benchmark's sessions saw them. */
  readonly postgresSettings: Readonly<Record<string, string>>;
  readonly kafka: string;
  /** Versions of the libraries on the measured paths. */
  readonly packages: Readonly<Record<string, string>>;
}

function packageVersion(name: string): string {
  try {
    const file = join(projectRoot(), 'node_modules', ...name.split('/'), 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** The broker version the local stack runs: topology/local/kafka/pom.xml's kafka.version property. */
function kafkaVersion(): string {
  try {
    const pom = readFileSync(join(projectRoot(), 'topology', 'local', 'kafka', 'pom.xml'), 'utf8');
    return /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The checkout's short commit id (read-only git), or "nogit". */
export function gitShortSha(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: projectRoot(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'nogit';
  }
}

const SETTINGS = ['synchronous_commit', 'fsync', 'wal_sync_method', 'shared_buffers', 'max_connections'];

export async function captureEnvironment(adminUrl: string): Promise<Environment> {
  const settings = await asAdmin<{ name: string; setting: string; unit: string | null }>(
    adminUrl,
    `SELECT name, setting, unit FROM pg_settings WHERE name IN (${SETTINGS.map((s) => `'${s}'`).join(', ')})`,
  );
  const [version] = await asAdmin<{ server_version: string }>(adminUrl, 'SHOW server_version');
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: version?.server_version ?? 'unknown',
    postgresSettings: Object.fromEntries(
      settings.map((row) => [row.name, row.unit ? `${row.setting} (${row.unit})` : row.setting]),
    ),
    kafka: kafkaVersion(),
    packages: Object.fromEntries(
      ['@event-driven-io/emmett-postgresql', '@event-driven-io/emmett', 'pg', 'slonik'].map((name) => [
        name,
        packageVersion(name),
      ]),
    ),
  };
}
