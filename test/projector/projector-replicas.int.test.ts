import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import { batchApplied, checkpointTotal, deadLetterCount } from './crash-checks.ts';
import { awaitCaughtUp, startTestRelay, verifyAll } from './pipeline.ts';
import { metricSeries, type ProjectorProcess, sigkill, startProjectorProcess } from './projector-process.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let workload: Workload;
const replicas: ProjectorProcess[] = [];
const prefix = `${uniqueName('projreplicas')}.`;

/** The (projection, partition) pairs a replica has applied batches of: its lag gauges' labels. */
async function partitionsOf(replica: ProjectorProcess): Promise<Set<string>> {
  const series = await metricSeries(replica.port, 'eventline_projector_lag_messages');
  return new Set(
    [...series.keys()].map((labels) => {
      const projection = /projection="([^"]+)"/.exec(labels)?.[1];
      const partition = /partition="(\d+)"/.exec(labels)?.[1];
      return `${projection}:${partition}`;
    }),
  );
}

beforeAll(async () => {
  db = await createTestDatabase('projreplicas');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 8);
  await workload.createTenants();
});

afterAll(async () => {
  for (const replica of replicas) await sigkill(replica.child);
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('of two replicas one is SIGKILLed mid-run: the other takes its partitions, nothing lost or doubled', async () => {
  const [doomed, survivor] = await Promise.all([
    startProjectorProcess(db, prefix),
    startProjectorProcess(db, prefix),
  ]);
  replicas.push(doomed, survivor);

  // The commands keep flowing until the kill has happened and the survivor applies
  // every partition the dead replica held, and one round beyond: the takeover
  // happens while events still arrive, whatever the timing.
  let held: Set<string> | undefined;
  const takenOver = async () => {
    const taken = await partitionsOf(survivor);
    return held !== undefined && [...held].every((pair) => taken.has(pair));
  };
  const deadline = Date.now() + 150_000;
  const commands = (async () => {
    for (let round = 0; !(await takenOver()); round++) {
      if (Date.now() > deadline) throw new Error("the survivor never took the dead replica's partitions");
      await workload.run(1, round);
    }
    await workload.run(1, 1_000);
  })();
  // A failure below must not leave the stream running into afterAll.
  commands.catch(() => undefined);

  // Both replicas hold partitions with work: each has applied batches of its own.
  let progress = '';
  const doomedHeld = await waitFor(
    'both replicas applying',
    async () => {
      const [mine, theirs] = [await partitionsOf(doomed), await partitionsOf(survivor)];
      progress = `${mine.size} and ${theirs.size} partitions applied`;
      return mine.size > 0 && theirs.size > 0 ? mine : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  ).catch((error: unknown) => {
    held = new Set();
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${progress}`);
  });
  // Killed right after a batch commits, so the kill lands mid-stream with the next batch under
  // way, not during the group's first rebalance.
  await batchApplied(db, await checkpointTotal(db));
  await sigkill(doomed.child);
  held = doomedHeld;
  await commands;

  await awaitCaughtUp(db.appUrl, workload.lastPosition, undefined, 90_000);
  for (const report of await verifyAll(db)) {
    expect(report).toMatchObject({ consistent: true });
    expect(report.eventsReplayed).toBeGreaterThan(0);
  }
  // verify skips parked events: a takeover that parked some would pass it, so none may be parked.
  expect(await deadLetterCount(db)).toBe(0);
}, 240_000);
