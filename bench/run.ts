/**
 * `make bench`: runs every scenario, prints one table and writes
 * bench/results/<date>-<git sha>.json. QUICK=1 runs fewer, smaller rounds (a
 * smoke run). Progress goes to stderr, the table to stdout.
 * `node dist/bench/run.js gateway end-to-end` runs only the groups named.
 */
import { join } from 'node:path';
import { EventSchemas } from '../services/avro/index.ts';
import { projectRoot } from '../services/platform/paths/index.ts';
import { type Endpoints, endpoints } from './lib/databases.ts';
import { stopSharedPipeline } from './lib/pipeline.ts';
import { captureEnvironment, gitShortSha } from './lib/environment.ts';
import {
  type BenchReport,
  type Figure,
  notJudged,
  rows,
  type ScenarioResult,
  table,
  type TargetCheck,
  writeReport,
} from './lib/report.ts';
import { archivingScenarios, archivingTargets } from './scenarios/archiving.ts';
import { backupScenarios, backupTargets } from './scenarios/backup.ts';
import { eventStoreScenarios, PEER } from './scenarios/eventstore.ts';
import { consoleScenarios, consoleTargets } from './scenarios/console.ts';
import { endToEndScenarios, endToEndTargets } from './scenarios/end-to-end.ts';
import { exportScenarios, exportTargets } from './scenarios/export.ts';
import { gatewayScenarios, gatewayTargets } from './scenarios/gateway.ts';
import { gatewayFloorScenarios } from './scenarios/gateway-floor.ts';
import { personalDataScenarios, personalDataTargets } from './scenarios/personal-data.ts';
import { projectorScenarios, projectorTargets } from './scenarios/projector-catchup.ts';
import { projectorFloorScenarios } from './scenarios/projector-floor.ts';
import { projectorRebuildScenarios, projectorRebuildTargets } from './scenarios/projector-rebuild.ts';
import { relayScenarios, relayTargets } from './scenarios/relay.ts';
import { relayFloorScenarios } from './scenarios/relay-floor.ts';
import { tenantRecoveryScenarios, tenantRecoveryTargets } from './scenarios/tenant-recovery.ts';

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

/**
 * Issue 20: the whole pipeline's PlaceOrder/s at c=64 over Emmett's bare appendToStream/s at c=64, both
 * from this run (the gateway and eventstore groups), so the ratio says what our layers cost on this machine.
 */
function pipelineVersusEmmett(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const target = "whole pipeline PlaceOrder/s at c=64 ≥ Emmett's bare appendToStream/s at c=64";
  const pipeline = find(scenarios, 'gateway-place-order-c64', 'throughput')?.ours?.median;
  const emmett = find(scenarios, 'append-1-c64', 'throughput')?.peer?.median;
  if (pipeline === undefined || emmett === undefined)
    return [notJudged(target, 'needs the gateway and eventstore groups in one run')];
  const ratio = pipeline / emmett;
  return [
    {
      target,
      met: ratio >= 1,
      detail: `pipeline/Emmett = ${ratio.toFixed(2)} (${pipeline.toFixed(0)} ÷ ${emmett.toFixed(0)}/s, medians)`,
    },
  ];
}

interface ScenarioOptions {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: (line: string) => void;
}

/** The scenario groups, in the order they run; one line each. */
const groups: readonly {
  readonly name: string;
  readonly run: (options: ScenarioOptions) => Promise<ScenarioResult[]>;
  readonly targets: (scenarios: readonly ScenarioResult[]) => TargetCheck[];
}[] = [
  { name: 'eventstore', run: eventStoreScenarios, targets: checkTargets },
  { name: 'personal-data', run: personalDataScenarios, targets: personalDataTargets },
  { name: 'relay', run: relayScenarios, targets: relayTargets },
  // Figures beside issue 20's relay target (judged in end-to-end): no target of their own.
  { name: 'relay-floor', run: relayFloorScenarios, targets: () => [] },
  { name: 'projector', run: projectorScenarios, targets: projectorTargets },
  // Figures beside issue 20's projector targets: no target of their own.
  { name: 'projector-floor', run: projectorFloorScenarios, targets: () => [] },
  { name: 'rebuild', run: projectorRebuildScenarios, targets: projectorRebuildTargets },
  { name: 'tenant-recovery', run: tenantRecoveryScenarios, targets: tenantRecoveryTargets },
  { name: 'archiving', run: archivingScenarios, targets: archivingTargets },
  {
    name: 'gateway',
    run: gatewayScenarios,
    targets: (scenarios) => [...gatewayTargets(scenarios), ...pipelineVersusEmmett(scenarios)],
  },
  // Figures beside issue 20's gateway target, judged in end-to-end: no target of its own.
  { name: 'gateway-floor', run: gatewayFloorScenarios, targets: () => [] },
  { name: 'end-to-end', run: endToEndScenarios, targets: endToEndTargets },
  { name: 'console', run: consoleScenarios, targets: consoleTargets },
  { name: 'export', run: exportScenarios, targets: exportTargets },
  { name: 'backup', run: backupScenarios, targets: backupTargets },
];

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
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !groups.some((group) => group.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `no scenario group ${unknown.join(', ')}; groups: ${groups.map((g) => g.name).join(', ')}`,
    );
  }
  const selected = groups.filter((group) => wanted.length === 0 || wanted.includes(group.name));
  const scenarios: ScenarioResult[] = [];
  try {
    for (const group of selected) {
      log(`${group.name}: starting`);
      scenarios.push(...(await group.run({ quick, endpoints: at, schemas, log })));
    }
  } finally {
    await stopSharedPipeline();
  }
  const targets = selected.flatMap((group) => group.targets(scenarios));

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
    const verdict =
      target.met === null
        ? target.detail.startsWith('not judged')
          ? 'not judged'
          : 'NOT MEASURED'
        : target.met
          ? 'met'
          : 'MISSED';
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
