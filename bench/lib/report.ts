import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from './environment.ts';
import { summarize, type Summary } from './stats.ts';

export const NO_PEER = 'no peer';

/** One measured quantity of a scenario, for ours and (when it has one) for the peer. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly ours: Summary | null;
  readonly peer: Summary | null;
  /** Why a side has no figure: "no peer" (the peer has no such feature), or what failed. */
  readonly oursNote?: string;
  readonly peerNote?: string;
  /** ours.median / peer.median, when both exist. */
  readonly ratio: number | null;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly loadGenerator: string;
  readonly concurrency: number;
  readonly poolSize: number;
  /**
   * The pools the measured processes actually ran with (their db_pool_size, "<component>/<pool>"),
   * where the scenario ran services as processes; poolSize is then the measured service's own.
   */
  readonly poolSizes?: Readonly<Record<string, number>>;
  /** The memory cgroup limit in bytes each measured service process ran within (the chart's); absent: none. */
  readonly memoryLimits?: Readonly<Record<string, number>>;
  readonly warmup: string;
  readonly rounds: number;
  readonly perRound: string;
  /** SHOW synchronous_commit in each side's sessions: "on" (durable commits) or the run stops. */
  readonly synchronousCommit: Readonly<Record<string, string>>;
  readonly figures: readonly Figure[];
}

export interface BenchReport {
  readonly format: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly gitSha: string;
  readonly peer: string;
  readonly environment: Environment;
  readonly scenarios: readonly ScenarioResult[];
  readonly targets: readonly TargetCheck[];
}

export interface TargetCheck {
  readonly target: string;
  /** null: not judged (not measured, or the run did not do what the target names). */
  readonly met: boolean | null;
  readonly detail: string;
}

/** The share of a target's named rate a run must reach for the target to be judged on it. */
export const RATE_REACHED = 0.95;

/**
 * A target judged only on a run that did what it names ("at 500/s": that rate reached; "1,000,000
 * events": that many), else not judged, saying why: a figure from another load is no verdict.
 */
export function notJudged(target: string, why: string): TargetCheck {
  return { target, met: null, detail: `not judged: ${why}` };
}

/** A figure from each side's per-round values (undefined: that side has none, with a note saying why). */
export function figure(
  name: string,
  unit: string,
  better: 'higher' | 'lower',
  ours: readonly number[] | string,
  peer: readonly number[] | string,
): Figure {
  const oursSummary = typeof ours === 'string' || ours.length === 0 ? null : summarize(ours);
  const peerSummary = typeof peer === 'string' || peer.length === 0 ? null : summarize(peer);
  return {
    name,
    unit,
    better,
    ours: oursSummary,
    peer: peerSummary,
    ...(typeof ours === 'string' ? { oursNote: ours } : {}),
    ...(typeof peer === 'string' ? { peerNote: peer } : {}),
    ratio: oursSummary && peerSummary ? oursSummary.median / peerSummary.median : null,
  };
}

function number(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toString();
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** "median (min–max)"; without a figure, why (a failure's message is in the log and the JSON). */
export function cell(summary: Summary | null, note: string | undefined, side: 'ours' | 'peer'): string {
  if (!summary) {
    if (note === undefined || note === NO_PEER) return NO_PEER;
    return side === 'peer' ? `${NO_PEER} (failed)` : 'failed';
  }
  if (summary.rounds.length === 1) return number(summary.median);
  return `${number(summary.median)} (${number(summary.min)}–${number(summary.max)})`;
}

export function ratioCell(f: Figure): string {
  if (f.ratio === null) return '—';
  return `${f.ratio.toFixed(2)}×`;
}

export interface Row {
  readonly scenario: string;
  readonly ours: string;
  readonly peer: string;
  readonly ratio: string;
  readonly unit: string;
}

export function rows(scenarios: readonly ScenarioResult[]): Row[] {
  return scenarios.flatMap((scenario) =>
    scenario.figures.map((f) => ({
      scenario: `${scenario.title}: ${f.name}`,
      ours: cell(f.ours, f.oursNote, 'ours'),
      peer: cell(f.peer, f.peerNote, 'peer'),
      ratio: ratioCell(f),
      unit: `${f.unit} (${f.better === 'higher' ? '↑' : '↓'})`,
    })),
  );
}

/** A Markdown-compatible table, padded for a terminal. */
export function table(headers: Row, body: readonly Row[]): string {
  const keys = ['scenario', 'ours', 'peer', 'ratio', 'unit'] as const;
  const widths = keys.map((key) => Math.max(headers[key].length, ...body.map((row) => row[key].length)));
  const pad = (text: string, i: number) =>
    i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0);
  const line = (row: Row) => `| ${keys.map((key, i) => pad(row[key], i)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`;
  return [line(headers), rule, ...body.map(line)].join('\n');
}

/** Writes the report as bench/results/<date>-<sha>.json (through a .tmp file, so a reader never sees half of it). */
export function writeReport(dir: string, report: BenchReport): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${report.startedAt.slice(0, 10)}-${report.gitSha}.json`);
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(temporary, file);
  return file;
}
