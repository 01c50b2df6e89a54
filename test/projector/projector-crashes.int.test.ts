import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningRelay } from '../../services/relay/index.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { uniqueName } from '../support/names.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';
import { awaitCaughtUp, startTestRelay, verifyAll } from './pipeline.ts';
import { Workload } from './workload.ts';

const PROJECTOR_MAIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'services',
  'projector',
  'main.js',
);

let db: TestDatabase;
let relay: RunningRelay | undefined;
let workload: Workload;
let child: ChildProcess | undefined;
const prefix = `${uniqueName('projkill')}.`;

/** `node dist/services/projector/main.js` as the projector's own role; resolves once it serves /health. */
async function startProjectorProcess(): Promise<ChildProcess> {
  if (!existsSync(PROJECTOR_MAIN))
    throw new Error(`${PROJECTOR_MAIN} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const port = await freePort();
  const started = spawn(process.execPath, [PROJECTOR_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: db.projectorUrl,
      KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: endpoints().schemaRegistryUrl,
      KAFKA_TOPIC_PREFIX: prefix,
      PROJECTOR_PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.PROJECTOR_TEST_LOG_LEVEL ?? 'silent',
    },
    stdio: ['ignore', process.env.PROJECTOR_TEST_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  });
  await waitFor(
    'the projector',
    async () => ((await fetch(`http://127.0.0.1:${port}/health`)).ok ? true : undefined),
    {
      timeoutMs: 30_000,
      intervalMs: 100,
    },
  );
  return started;
}

function sigkill(process: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (process.exitCode !== null || process.signalCode !== null) return resolve();
    process.once('exit', () => resolve());
    process.kill('SIGKILL');
  });
}

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
    child = await startProjectorProcess();
    await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 2_500));
    await sigkill(child);
  }
  running = false;
  await commands;
  child = await startProjectorProcess();
  await awaitCaughtUp(db.appUrl, workload.lastPosition);
  for (const report of await verifyAll(db)) {
    expect(report).toMatchObject({ consistent: true });
    expect(report.eventsReplayed).toBeGreaterThan(0);
  }
}, 180_000);
