import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../eventstore/index.ts';
import { env, loadConfig } from '../platform/config/index.ts';
import { projectRoot } from '../platform/paths/index.ts';
import { type CommandSpec, parseCommandLine, UsageError } from './command-line.ts';
import { asyncApiCommands } from './commands/asyncapi.ts';
import { backupCommands } from './commands/backup.ts';
import { dlqCommands } from './commands/dlq.ts';
import { eventsCommands } from './commands/events.ts';
import { erasureCommands } from './commands/erasure.ts';
import { exportCommands } from './commands/exports.ts';
import { personalDataCommands } from './commands/personal-data.ts';
import { projectionsCommands } from './commands/projections.ts';
import { relayCommands } from './commands/relay.ts';
import { schemasCommands } from './commands/schemas.ts';
import { tenantsCommands } from './commands/tenants.ts';
import { topologyCommands } from './commands/topology.ts';

const migrateCommand: CommandSpec = {
  path: ['migrate'],
  summary: 'Applies the database migrations the database lacks, as the schema owner. Safe to run again.',
  environment: ['ADMIN_DATABASE_URL'],
  async run() {
    const { ADMIN_DATABASE_URL } = loadConfig({ ADMIN_DATABASE_URL: env.ADMIN_DATABASE_URL });
    const applied = await migrate(ADMIN_DATABASE_URL, { info: (message) => console.log(message) });
    console.log(applied.length === 0 ? 'migrations: up to date' : `migrations: applied ${applied.length}`);
  },
};

/** Every command of the `eventline` binary (docs/contracts.md §10). */
export const commands: readonly CommandSpec[] = [
  migrateCommand,
  ...topologyCommands,
  ...schemasCommands,
  ...projectionsCommands,
  ...dlqCommands,
  ...relayCommands,
  ...asyncApiCommands,
  ...tenantsCommands,
  ...exportCommands,
  ...erasureCommands,
  ...personalDataCommands,
  ...backupCommands,
  ...eventsCommands,
];

function version(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}

/**
 * Runs one command line: help and the version on stdout, exit 0; a usage
 * mistake refused before anything runs, exit 2; any other failure exit 1;
 * each error one line on stderr.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  let invocation;
  try {
    invocation = parseCommandLine(argv, commands, version());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`eventline: ${error.message}`);
    return 2;
  }
  if (invocation.kind === 'print') {
    process.stdout.write(invocation.text);
    return 0;
  }
  try {
    await invocation.spec.run(invocation.input);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`eventline ${invocation.spec.path.join(' ')}: ${message.split('\n')[0]}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
