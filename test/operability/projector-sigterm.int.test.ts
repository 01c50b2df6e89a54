import { type Admin, AssignerProtocol } from 'kafkajs';
import pg from 'pg';
import { loadTopology } from '../../services/messaging/index.ts';
import { DEFAULT_MEMBERS_PER_GROUP } from '../../services/projector/start-projector.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { awaitCaughtUp, startTestRelay, verifyAll } from '../projector/pipeline.ts';
import { type ProjectorProcess, sigkill, startProjectorProcess } from '../projector/projector-process.ts';
import { Workload } from '../projector/workload.ts';
import { applyTestTopology, asOwner, deleteSubjects, kafkaAt } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

/** SHUTDOWN_GRACE_MS' default: past it the projector exits 1, well inside the chart's 30 s grace period. */
const SHUTDOWN_DEADLINE_MS = 20_000;
/**
 * From the SIGTERM to the survivor applying every partition the stopped replica held.
 * A crashed replica's partitions wait out the 10 s session timeout before the group
 * even rebalances; a replica that leaves the group hands them on at once.
 */
const TAKEOVER_BOUND_MS = 7_000;

let db: TestDatabase;
let relay: RunningRelay | undefined;
let workload: Workload;
let admin: Admin;
let owner: pg.Client;
const replicas: ProjectorProcess[] = [];
const prefix = `${uniqueName('projterm')}.`;

interface GroupState {
  readonly state: string;
  /** Per member id, the `topic:partition` pairs it is assigned. */
  readonly members: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Each consumer group of the projections as the broker sees it, by group. */
async function describeGroups(
  groups: ReadonlyMap<string, readonly string[]>,
): Promise<Map<string, GroupState>> {
  const { groups: described } = await admin.describeGroups([...groups.keys()]);
  return new Map(
    described.map((group) => {
      const members = group.members.map((member) => {
        const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        const pairs = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, partitions]) =>
          partitions.map((partition) => `${topic}:${partition}`),
        );
        return [member.memberId, new Set(pairs)] as const;
      });
      return [group.groupId, { state: group.state, members: new Map(members) }];
    }),
  );
}

/** Each checkpoint's next offset, keyed `projection|topic:partition`. */
async function checkpoints(): Promise<Map<string, number>> {
  const { rows } = await owner.query<{
    projection: string;
    topic: string;
    partition: number;
    next_offset: string;
  }>('SELECT projection, topic, partition, next_offset FROM readmodels.checkpoints WHERE next_offset >= 0');
  return new Map(
    rows.map((row) => [`${row.projection}|${row.topic}:${row.partition}`, Number(row.next_offset)]),
  );
}

/**
 * Samples the checkpoints until stopped, noting when each first moves past where it
 * stood: the instant its partition's records were applied again after the stop.
 */
function watchCheckpoints(since: ReadonlyMap<string, number>) {
  const advancedAt = new Map<string, number>();
  let watching = true;
  const done = (async () => {
    while (watching) {
      const now = await checkpoints();
      const at = Date.now();
      for (const [key, offset] of now) {
        if (!advancedAt.has(key) && offset > (since.get(key) ?? -1)) advancedAt.set(key, at);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    advancedAt,
    async stop() {
      watching = false;
      await done;
    },
  };
}

/** Each replica runs this many members of every group (PROJECTOR_MEMBERS_PER_GROUP's default). */
const MEMBERS = DEFAULT_MEMBERS_PER_GROUP;

/**
 * From the stop of one replica: how long until every group is down to the
 * survivor's members alone, and until the survivor has applied records of each
 * partition the stopped replica's members held (those that have events), in ms
 * since `since`.
 */
async function watchTakeover(
  before: ReadonlyMap<string, GroupState>,
  groups: ReadonlyMap<string, readonly string[]>,
  since: number,
) {
  const atStop = await checkpoints();
  const watch = watchCheckpoints(atStop);
  try {
    // Left cleanly: every group settles on the survivor's members alone, without waiting out a session.
    const after = await waitFor(
      "only the survivor's members left in every group",
      async () => {
        const described = await describeGroups(groups);
        const settled = [...described.values()].every(
          ({ state, members }) => state === 'Stable' && members.size === MEMBERS,
        );
        return settled ? described : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const settledMs = Date.now() - since;
    // Each moved partition of a group, once for each of the group's projections (each has its checkpoint).
    const moved = [...before].flatMap(([group, { members }]) => {
      const staying = new Set(after.get(group)!.members.keys());
      for (const member of staying) expect(members.has(member)).toBe(true);
      return [...members]
        .filter(([member]) => !staying.has(member))
        .flatMap(([, pairs]) =>
          [...pairs].flatMap((pair) =>
            (groups.get(group) ?? []).map((projection) => `${projection}|${pair}`),
          ),
        )
        .filter((key) => atStop.has(key));
    });
    expect(moved.length).toBeGreaterThan(0);
    const applied = await waitFor(
      'the survivor applying every moved partition',
      () => {
        const times = moved.flatMap((key) => watch.advancedAt.get(key) ?? []);
        return times.length === moved.length ? times : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    return {
      settledMs,
      moved: moved.length,
      firstAppliedMs: Math.min(...applied) - since,
      lastAppliedMs: Math.max(...applied) - since,
    };
  } finally {
    await watch.stop();
  }
}

beforeAll(async () => {
  db = await createTestDatabase('projterm');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 8);
  await workload.createTenants();
  admin = kafkaAt(endpoints().kafkaBrokers).admin();
  await admin.connect();
  owner = new pg.Client({ connectionString: db.adminUrl });
  await owner.connect();
});

afterAll(async () => {
  for (const replica of replicas) await sigkill(replica.child);
  await admin?.disconnect();
  await owner?.end();
  await relay?.close();
  await workload?.close();
  await db?.drop();
  await deleteSubjects(prefix);
});

test('SIGTERM to one of two replicas mid-stream: it exits 0, the other applies its partitions at once, every event applied once', async () => {
  const [doomed, survivor] = await Promise.all([
    startProjectorProcess(db, prefix),
    startProjectorProcess(db, prefix),
  ]);
  replicas.push(doomed, survivor);
  let exit: { code: number | null; exitedAt: number } | undefined;
  doomed.child.once('exit', (code) => (exit = { code, exitedAt: Date.now() }));

  // Exactly the group names topology/ declares under the prefix: lag tools look them up by those.
  const topology = await loadTopology(prefix);
  const groups = new Map<string, string[]>();
  for (const { projection, group } of topology.consumerGroups)
    groups.set(group, [...(groups.get(group) ?? []), projection]);
  await waitFor('every projection group on the broker', async () => {
    const names = new Set((await admin.listGroups()).groups.map(({ groupId }) => groupId));
    return [...groups.keys()].every((group) => names.has(group)) ? true : undefined;
  });

  let streaming = true;
  const deadline = Date.now() + 150_000;
  const commands = (async () => {
    for (let round = 0; streaming; round++) {
      if (Date.now() > deadline) throw new Error('the command stream ran past its deadline');
      await workload.run(1, round);
    }
  })();
  let sigterm: number;
  let stopped: { code: number | null; exitedAt: number };
  let takeover: Awaited<ReturnType<typeof watchTakeover>>;
  try {
    // Both replicas' members hold partitions of every group, and each group has applied events.
    const before = await waitFor(
      "both replicas' members in every group, each assigned partitions",
      async () => {
        const described = await describeGroups(groups);
        const settled = [...described.values()].every(
          ({ state, members }) =>
            state === 'Stable' &&
            members.size === 2 * MEMBERS &&
            [...members.values()].every((pairs) => pairs.size > 0),
        );
        const applied = new Set([...(await checkpoints()).keys()].map((key) => key.split('|')[0]));
        return settled && applied.size === topology.consumerGroups.length ? described : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    sigterm = Date.now();
    doomed.child.kill('SIGTERM');
    stopped = await waitFor('the replica to exit', () => exit, { timeoutMs: SHUTDOWN_DEADLINE_MS + 5_000 });
    takeover = await watchTakeover(before, groups, sigterm);
  } finally {
    streaming = false;
    await commands;
  }
  const { code, exitedAt } = stopped;

  console.log(
    `projector SIGTERM: exit ${code} after ${exitedAt - sigterm} ms; groups down to the survivor's members after ` +
      `${takeover.settledMs} ms; the survivor applied the ${takeover.moved} moved partitions ` +
      `${takeover.firstAppliedMs} to ${takeover.lastAppliedMs} ms after the SIGTERM`,
  );
  expect(code).toBe(0);
  expect(exitedAt - sigterm).toBeLessThan(SHUTDOWN_DEADLINE_MS);
  expect(takeover.lastAppliedMs).toBeLessThan(TAKEOVER_BOUND_MS);

  await awaitCaughtUp(db.appUrl, workload.lastPosition, undefined, 90_000);
  for (const report of await verifyAll(db)) {
    expect(report).toMatchObject({ consistent: true });
    expect(report.eventsReplayed).toBeGreaterThan(0);
  }
  const parked = await asOwner<{ n: number }>(
    db.adminUrl,
    'SELECT count(*)::int AS n FROM readmodels.dead_letters',
  );
  expect(parked[0]!.n).toBe(0);
}, 240_000);
