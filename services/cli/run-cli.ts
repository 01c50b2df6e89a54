import { migrate } from '../eventstore/index.ts';
import { env, loadConfig } from '../platform/config/index.ts';
import { asyncApiCommand } from './commands/asyncapi.ts';
import { dlqCommand } from './commands/dlq.ts';
import { projectionsCommand } from './commands/projections.ts';
import { schemasCommand } from './commands/schemas.ts';
import { topologyCommand } from './commands/topology.ts';

type Subcommand = (args: readonly string[]) => Promise<void>;

const USAGE =
  'usage: eventline <migrate|topology apply|schemas register|schemas check|projections list|projections status|projections verify <name>|projections rebuild <name>|dlq list|dlq replay <topic>|asyncapi [--format yaml|json]>';

const subcommands: Readonly<Record<string, Subcommand>> = {
  /** Applies the event store's migrations as the schema owner. */
  async migrate() {
    const { ADMIN_DATABASE_URL } = loadConfig({ ADMIN_DATABASE_URL: env.ADMIN_DATABASE_URL });
    const applied = await migrate(ADMIN_DATABASE_URL, { info: (message) => console.log(message) });
    console.log(applied.length === 0 ? 'migrations: up to date' : `migrations: applied ${applied.length}`);
  },
  /** Creates the Kafka topics topology/ lists; reports, never changes, those that differ. */
  topology: topologyCommand,
  /** Registers schemas/ in the registry, or checks them against it. */
  schemas: schemasCommand,
  /** Lists the projections, shows their checkpoints and rebuilds, checks one against a replay, or rebuilds one. */
  projections: projectionsCommand,
  /** Lists the events projections parked, or applies those of one dead-letter topic. */
  dlq: dlqCommand,
  /** Prints the AsyncAPI document of the topics, from topology/ and schemas/. */
  asyncapi: asyncApiCommand,
};

/** Runs one subcommand; any failure is one line on stderr and a non-zero exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  const subcommand = name === undefined ? undefined : subcommands[name];
  if (!subcommand) {
    console.error(name === undefined ? USAGE : `eventline: unknown command "${name}"; ${USAGE}`);
    return 2;
  }
  try {
    await subcommand(args);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`eventline ${name}: ${message.split('\n')[0]}`);
    return 1;
  }
}
