/**
 * `make bench`: runs every scenario, prints one table and writes
 * bench/results/<date>-<git sha>.json. QUICK=1 runs fewer, smaller rounds (a
 * smoke run). Progress goes to stderr, the table to stdout.
 */
import { join } from 'node:path';
import { EventSchemas } from '../services/avro/index.ts';
import { projectRoot } from '../services/platform/paths/index.ts';
import { endpoints } from './lib/databases.ts';
import { captureEnvironment, gitShortSha } from './lib/environment.ts';
import {
  type BenchReport,
  type Figure,
  rows,
  type ScenarioResult,
  table,
  type TargetCheck,
  writeReport,
} from './lib/report.ts';
import { eventStoreScenarios, PEER } from './scenarios/eventstore.ts';
import { relayScenarios, relayTargets } from './scenarios/relay.ts';

function quickFromEnv(): boolean {
  const value = (process.env.QUICK ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}

function find(scenarios: readonly ScenarioResult[], id: string, name: string): Figure | undefined {
  return scenarios.find((s) => s.id === id)?.figures.find((f) => f.name === name);
}

/** The targets: ≥ 2× Emmett's appends/s at concurrency 64, and no slower at concurrency 1. */
function checkTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const check = (target: string, id: string, least: number): TargetCheck => {
    const f = find(scenarios, id, 'throughput');
    if (!f || f.ratio === null) return { target, met: null, detail: 'not measured on both sides' };
    return {
      target,
      met: f.ratio >= least,
      detail: `ours/Emmett = ${f.ratio.toFixed(2)}× (median of rounds)`,
    };
  };
  return [
    check('appends/s at c=64 ≥ 2× Emmett', 'append-1-c64', 2),
    check('appends/s at c=1 ≥ Emmett (no slower)', 'append-1-c1', 1),
  ];
}

async function main(): Promise<void> {
  const quick = quickFromEnv();
  const startedAt = new Date();
  const log = (line: string) => {
    const seconds = ((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[bench ${seconds}s] ${line}\n`);
  };
  const at = endpoints();
  const environment = await captureEnvironment(at.adminDatabaseUrl);
  log(
    `${quick ? 'QUICK run' : 'full run'}: ${environment.cpus} CPUs, ${(environment.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, ` +
      `Node ${environment.node}, PostgreSQL ${environment.postgres}, Kafka ${environment.kafka}`,
  );
  const schemas = await EventSchemas.load();
  const scenarios = [
    ...(await eventStoreScenarios({ quick, endpoints: at, schemas, log })),
    ...(await relayScenarios({ quick, endpoints: at, schemas, log })),
  ];
  const targets = [...checkTargets(scenarios), ...relayTargets(scenarios)];

  const report: BenchReport = {
    format: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    gitSha: gitShortSha(),
    peer: PEER,
    environment,
    scenarios,
    targets,
  };
  const file = writeReport(join(projectRoot(), 'bench', 'results'), report);

  const header = { scenario: 'scenario', ours: 'ours', peer: 'Emmett', ratio: 'ours/Emmett', unit: 'unit' };
  process.stdout.write(`\n${table(header, rows(scenarios))}\n\n`);
  process.stdout.write(
    'Each cell: median over the rounds (min–max). ↑ higher is better, ↓ lower is better. ' +
      `${quick ? 'QUICK run: fewer, smaller rounds.' : ''}\n`,
  );
  for (const target of targets) {
    const verdict = target.met === null ? 'NOT MEASURED' : target.met ? 'met' : 'MISSED';
    process.stdout.write(`target ${target.target}: ${verdict} (${target.detail})\n`);
  }
  process.stdout.write(`results: ${file}\n`);

  const failed = scenarios.some((s) => s.figures.some((f) => f.oursNote !== undefined));
  if (failed) {
    process.stderr.write('some of our figures failed: see the table\n');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
