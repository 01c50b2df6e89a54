import type { ChildProcess } from 'node:child_process';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
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

test('SIGKILLed at random moments while commands flow, the restarted projector ends equal to a replay', async () => {
  let running = true;
  const commands = (async () => {
    for (let round = 0; running && round < 12; round++) await workload.run(2, round * 2);
  })();
  for (let kill = 0; kill < 4; kill++) {
    child = (await startProjectorProcess(db, prefix)).child;
    await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 2_500));
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
}, 180_000);
