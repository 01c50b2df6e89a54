import { haltedTenants, laneStates, outboxBacklog, relayReplicas, resumeTenant } from '../../outbox/index.ts';
import { tenantArgument } from '../arguments.ts';
import type { CommandSpec } from '../command-line.ts';
import { asOwner } from '../owner-database.ts';

export const relayCommands: readonly CommandSpec[] = [
  {
    path: ['relay', 'status'],
    summary:
      "Prints the outbox's backlog and the age of its oldest row, each relay replica with the lanes it holds, and the halted tenants with the event and reason they stopped at.",
    options: { json: { type: 'boolean', description: 'print JSON instead of lines' } },
    environment: ['ADMIN_DATABASE_URL'],
    async run({ options }) {
      const [backlog, lanes, replicas, halted] = await asOwner((pool) =>
        Promise.all([outboxBacklog(pool), laneStates(pool), relayReplicas(pool), haltedTenants(pool)]),
      );
      const held = (replica: string) =>
        lanes.filter((lane) => lane.holder === replica).map((lane) => lane.lane);
      if (options.json) {
        console.log(
          JSON.stringify({
            backlog,
            replicas: replicas.map((replica) => ({ ...replica, lanes: held(replica.replica) })),
            unheldLanes: lanes.filter((lane) => lane.holder === null).length,
            halted,
          }),
        );
        return;
      }
      console.log(
        `outbox: ${backlog.rows} rows waiting, the oldest ${backlog.oldestAgeSeconds.toFixed(1)} s old`,
      );
      const unheld = lanes.filter((lane) => lane.holder === null).length;
      console.log(`lanes: ${lanes.length - unheld} of ${lanes.length} held`);
      for (const replica of replicas) {
        console.log(
          `replica ${replica.replica}\tseen ${replica.seenAt.toISOString()}\tlanes ${held(replica.replica).join(',') || '-'}`,
        );
      }
      if (halted.length === 0) console.log('no tenant halted');
      for (const tenant of halted) {
        console.log(
          [
            `halted ${tenant.tenantId}`,
            `at ${tenant.eventType} ${tenant.eventId}`,
            tenant.haltedAt.toISOString(),
            tenant.reason,
          ].join('\t'),
        );
      }
    },
  },
  {
    path: ['relay', 'resume'],
    summary:
      "Lets a halted tenant's events go again, from the one it stopped at: fix its schema first, or it halts again. Every relay replica notices within a second.",
    args: [{ name: 'tenant-id', description: 'the halted tenant' }],
    environment: ['ADMIN_DATABASE_URL'],
    async run({ args }) {
      const tenant = tenantArgument(String(args['tenant-id']));
      if (!(await asOwner((pool) => resumeTenant(pool, tenant))))
        throw new Error(`tenant ${tenant} is not halted`);
      console.log(`resumed ${tenant}`);
    },
  },
];
