import type { ChildProcess } from 'node:child_process';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { seededRandom } from '../support/seeded.ts';
import { batchApplied, checkpointTotal, deadLetterCount } from './crash-checks.ts';
import { awaitCaughtUp, startTestRelay, verifyAll } from './pipeline.ts';
import { sigkill, startProjectorProcess } from './projector-process.ts';
import { Workload } from './workload.ts';

let db: TestDatabase;
let relay: RunningRelay | undefined;
let workload: Workload;
let child: ChildProcess | undefined;
const prefix = `${uniqueName('projkill')}.`;

beforeAll(async () => {
  db = await createTestDatabase('projkill');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  relay = await startTestRelay(db, prefix);
  workload = await Workload.open(db.appUrl, 4);
  await workload.createTenants();
});

afterAll(async () => {
  if (child) await sigkill(child);
  await relay?.close();
  await workload.close();
  await db.drop();
  await deleteSubjects(prefix);
});

test('SIGKILLed at random moments mid-batch while commands flow, the restarted projector ends equal to a replay, nothing parked', async () => {
  const random = seededRandom('projector-crashes');
  let running = true;
  const commands = (async () => {
    // Until the last kill, however long the kills take: each one needs batches to land in.
    for (let round = 0; running || round < 6; round++) await workload.run(2, round * 2);
  })();
  // A failure below must not leave the stream running into afterAll.
  commands.catch(() => undefined);
  for (let kill = 0; kill < 4; kill++) {
    // /health answers before the consumers have joined their groups: a kill timed from it mostly
    // lands in a rebalance. Each kill waits for this process to commit a batch of its own, then
    // lands a random moment later, while the next batches are being applied.
    const before = await checkpointTotal(db);
    child = (await startProjectorProcess(db, prefix)).child;
    await batchApplied(db, before);
    await new Promise((resolve) => setTimeout(resolve, random.next() * 300));
    await sigkill(child);
  }
  running = false;
  await commands;
  child = (await startProjectorProcess(db, prefix)).child;
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  for (const report of await verifyAll(db)) {
    expect(report).toMatchObject({ consistent: true });
    expect(report.eventsReplayed).toBeGreaterThan(0);
  }
  // verify skips parked events: a crash that parked some would pass it, so none may be parked.
  expect(await deadLetterCount(db)).toBe(0);
}, 180_000);
