import { archiveIdleStreams, streamId, unarchiveStream } from '../../eventstore/index.ts';
import { tenantArgument } from '../arguments.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';
import { asOwner } from '../owner-database.ts';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** `--idle-for 90d`: a whole number of seconds, minutes, hours or days. */
function idleForOption(given: string | boolean | undefined): number {
  const match = typeof given === 'string' ? /^(\d+)([smhd])$/.exec(given) : null;
  if (!match)
    throw new UsageError(
      `--idle-for must be a duration such as 90d, 12h, 30m or 45s, not "${given === undefined ? '' : String(given)}"`,
    );
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

export const eventsCommands: readonly CommandSpec[] = [
  {
    path: ['events', 'archive'],
    summary:
      'Moves the events of closed streams (no event for the given time) to the cold partition, events_cold. ' +
      'They stay readable; an append to an archived stream brings its events back first. See docs/archiving.md.',
    options: {
      'idle-for': {
        type: 'string',
        value: '<duration>',
        description: 'archive streams with no event for this long: 90d, 12h, 30m, 45s (required)',
      },
      tenant: { type: 'string', value: '<tenant-id>', description: "only this tenant's streams" },
      'dry-run': { type: 'boolean', description: 'count what would be archived, move nothing' },
    },
    environment: ['ADMIN_DATABASE_URL'],
    async run({ options }) {
      const idleSeconds = idleForOption(options['idle-for']);
      const tenant = typeof options.tenant === 'string' ? tenantArgument(options.tenant) : undefined;
      const dryRun = options['dry-run'] === true;
      const report = await asOwner((pool) =>
        archiveIdleStreams(pool, { idleSeconds, ...(tenant ? { tenant } : {}), dryRun }),
      );
      console.log(
        `${dryRun ? 'would archive' : 'archived'} ${report.streams} streams, ${report.events} events`,
      );
    },
  },
  {
    path: ['events', 'unarchive'],
    summary: "Brings an archived stream's events back to the hot partition, events_hot.",
    args: [
      { name: 'tenant-id', description: "the stream's tenant" },
      { name: 'stream-id', description: "the stream's (aggregate's) UUID" },
    ],
    environment: ['ADMIN_DATABASE_URL'],
    async run({ args }) {
      const tenant = tenantArgument(String(args['tenant-id']));
      const text = String(args['stream-id']);
      let stream;
      try {
        stream = streamId(text);
      } catch {
        throw new UsageError(`<stream-id> must be a stream's UUID, not "${text}"`);
      }
      const moved = await asOwner((pool) => unarchiveStream(pool, tenant, stream));
      if (moved === null) throw new Error(`stream ${stream} of tenant ${tenant} is not archived`);
      console.log(`unarchived stream ${stream}: ${moved} events`);
    },
  },
];
