/**
 * `make chaos` and `make soak` (docs/reliability.md): runs the fault scenarios
 * named on the command line (all when none), or the soak (`soak`), prints one
 * table and writes bench/results/chaos/<date>-<git sha>[-short|-soak].json.
 * CHAOS_SHORT=1 runs the short form CI runs. Exits non-zero when a scenario
 * fails its checks or crashes.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { captureEnvironment, gitShortSha } from '../lib/environment.ts';
import { stackSetting } from '../lib/stack.ts';
import {
  brokerOutageScenario,
  kafkaClusterScenario,
  pgbouncerScenario,
  postgresCrashScenario,
  postgresRestartScenario,
  redisOutageScenario,
  registryOutageScenario,
  type ScenarioOptions,
  type ScenarioResult,
  sigkillStormScenario,
} from './scenarios.ts';
import { soak, type SoakResult } from './soak.ts';

const SCENARIOS: Readonly<Record<string, (options: ScenarioOptions) => Promise<ScenarioResult>>> = {
  pgbouncer: pgbouncerScenario,
  'broker-outage': brokerOutageScenario,
  'postgres-restart': postgresRestartScenario,
  'postgres-crash': postgresCrashScenario,
  'redis-outage': redisOutageScenario,
  'registry-outage': registryOutageScenario,
  'kafka-cluster': kafkaClusterScenario,
  'sigkill-storm': sigkillStormScenario,
};

function flag(name: string): boolean {
  const value = (process.env[name] ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}

function tallyText(tally: Record<string, number>): string {
  const entries = Object.entries(tally).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '—' : entries.map(([status, n]) => `${status}×${n}`).join(' ');
}

function seconds(ms: number | null): string {
  return ms === null ? 'never' : `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

function table(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'acked',
    'lost',
    'dups',
    'reordered',
    'verify',
    'commands during fault',
    'queries during fault',
    '1st cmd',
    'drained',
    'result',
  ];
  const rows = results.map((r) => [
    r.name,
    String(r.verdict.acknowledgedCommands),
    String(r.verdict.lost.total),
    String(r.verdict.duplicates),
    String(r.verdict.reordered),
    Object.values(r.verdict.verify).every((v) => v.consistent) && r.verdict.deadLetters === 0
      ? 'equal'
      : 'DIFFERS',
    tallyText(r.answers.commands.fault),
    tallyText(r.answers.queries.fault),
    seconds(r.recovery.firstCommandMs),
    seconds(r.recovery.backlogDrainedMs),
    r.passed ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function write(report: object, suffix: string, startedAt: Date, sha: string): string {
  const dir = join(projectRoot(), 'bench', 'results', 'chaos');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().slice(0, 10)}-${sha}${suffix}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  // The commit the run ran on: others may commit while it runs.
  const sha = gitShortSha();
  const log = (line: string) => {
    const s = ((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[chaos ${s}s] ${line}\n`);
  };
  const environment = await captureEnvironment(stackSetting('ADMIN_DATABASE_URL'));
  const wanted = process.argv.slice(2);
  if (wanted.includes('soak')) {
    const result: SoakResult = await soak(log);
    const file = write(
      {
        format: 1,
        kind: 'soak',
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        gitSha: sha,
        environment,
        result,
      },
      '-soak',
      startedAt,
      sha,
    );
    process.stdout.write(
      `\nsoak: ${result.minutes} min, ${result.commandsPerSecondAchieved.toFixed(0)}/${result.commandsPerSecondOffered} commands/s\n`,
    );
    for (const r of result.rss) {
      process.stdout.write(
        `  RSS ${r.service}: ${r.firstMiB.toFixed(0)} → ${r.lastMiB.toFixed(0)} MiB over the judged window, slope ` +
          `${r.slopeMiBPerHour.toFixed(1)} ± ${r.slopeCi95MiBPerHour.toFixed(1)} MiB/h, noise ${r.noiseMiB.toFixed(1)} MiB: ${r.flat ? 'flat' : 'GROWING'}\n`,
      );
    }
    for (const w of result.latencyWindows) {
      process.stdout.write(
        `  minutes ${w.fromMinute}–${w.toMinute}: commands p99 ${w.commandsP99Ms.toFixed(0)} ms (${w.commands}), queries p99 ${w.queriesP99Ms.toFixed(0)} ms (${w.queries})\n`,
      );
    }
    const v = result.verdict;
    process.stdout.write(
      `  p99 drift: commands ${result.p99Drift.commands ? 'DRIFTED' : 'none'}, queries ${result.p99Drift.queries ? 'DRIFTED' : 'none'}\n` +
        `  acknowledged ${v.acknowledgedCommands}, lost ${v.lost.total}, duplicates ${v.duplicates}, reordered ${v.reordered}, ` +
        `verify ${Object.values(v.verify).every((x) => x.consistent) ? 'equal' : 'DIFFERS'}\n` +
        `soak: ${result.passed ? 'pass' : 'FAIL'}\nresults: ${file}\n`,
    );
    if (!result.passed) process.exitCode = 1;
    return;
  }
  const unknown = wanted.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) {
    throw new Error(
      `no scenario ${unknown.join(', ')}; scenarios: ${Object.keys(SCENARIOS).join(', ')}, soak`,
    );
  }
  const short = flag('CHAOS_SHORT');
  const names = wanted.length > 0 ? wanted : Object.keys(SCENARIOS);
  log(`${short ? 'short' : 'full'} run: ${names.join(', ')}; commit ${sha}`);
  const results: ScenarioResult[] = [];
  const crashed: { name: string; error: string }[] = [];
  for (const name of names) {
    const run = SCENARIOS[name];
    if (!run) continue;
    const began = Date.now();
    log(`${name}: starting`);
    try {
      const result = await run({ short, log });
      results.push(result);
      log(`${name}: ${result.passed ? 'pass' : 'FAIL'} in ${((Date.now() - began) / 1000).toFixed(0)} s`);
      for (const problem of result.verdict.problems) log(`${name}:   ${problem}`);
      for (const violation of result.answers.violations) log(`${name}:   ${violation}`);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      crashed.push({ name, error: text });
      log(`${name}: CRASHED: ${text}`);
    }
  }
  const file = write(
    {
      format: 1,
      kind: 'chaos',
      short,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      gitSha: sha,
      environment,
      results,
      crashed,
    },
    short ? '-short' : '',
    startedAt,
    sha,
  );
  process.stdout.write(`\n${table(results)}\n`);
  for (const c of crashed) process.stdout.write(`${c.name}: CRASHED (${c.error.split('\n')[0]})\n`);
  process.stdout.write(`results: ${file}\n`);
  const passed = results.filter((r) => r.passed).length;
  // Not "N passed, N failed": CI's closing test count is make test's, and this is no test runner.
  process.stdout.write(`chaos: ${passed} of ${results.length + crashed.length} scenarios passed\n`);
  if (passed !== results.length || crashed.length > 0) process.exitCode = 1;
}

// Exits once done: kafkajs' and fetch's pooled sockets must not keep a finished run waiting.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(
      `chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
