import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { metricSeries as seriesAt } from '../support/metrics.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';

const PROJECTOR_MAIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'services',
  'projector',
  'main.js',
);

export interface ProjectorProcess {
  readonly child: ChildProcess;
  /** Where its /health, /ready and /metrics answer. */
  readonly port: number;
}

/** `node dist/services/projector/main.js` as the projector's own role; resolves once it serves /health. */
export async function startProjectorProcess(db: TestDatabase, prefix: string): Promise<ProjectorProcess> {
  if (!existsSync(PROJECTOR_MAIN))
    throw new Error(`${PROJECTOR_MAIN} is missing: build first (npx tsc -p tsconfig.build.json)`);
  const port = await freePort();
  const child = spawn(process.execPath, [PROJECTOR_MAIN], {
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
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return { child, port };
}

export function sigkill(process: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (process.exitCode !== null || process.signalCode !== null) return resolve();
    process.once('exit', () => resolve());
    process.kill('SIGKILL');
  });
}

/** The value of each series of one metric a projector process exposes, by its label text. */
export function metricSeries(port: number, metric: string): Promise<Map<string, number>> {
  return seriesAt(`http://127.0.0.1:${port}`, metric);
}
