/**
 * `make soak`: 30 minutes (SOAK_MINUTES) of 300 commands/s (SOAK_RATE) with a
 * steady query load through the whole pipeline, sampling each service's RSS
 * every 10 s. Judged: the RSS slope over the last 20 minutes (MiB/hour) is flat
 * within the samples' noise, and the p99 of commands and queries does not drift
 * from the first window to the last. Then the same checks as every fault scenario.
 */
import { quantile } from '../lib/stats.ts';
import { sleep, stackSetting } from '../lib/stack.ts';
import { audit, awaitDrained, type Verdict } from './checks.ts';
import { createTenants, Load } from './load.ts';
import { sharedPostgres, startChaosPipeline } from './pipeline.ts';

export interface RssTrend {
  readonly service: string;
  readonly samples: number;
  readonly firstMiB: number;
  readonly lastMiB: number;
  /** Least-squares slope over the judged window. */
  readonly slopeMiBPerHour: number;
  /** Half-width of the slope's 95 % confidence interval. */
  readonly slopeCi95MiBPerHour: number;
  /** The residuals' standard deviation around the fitted line. */
  readonly noiseMiB: number;
  readonly flat: boolean;
}

export interface LatencyWindow {
  readonly fromMinute: number;
  readonly toMinute: number;
  readonly commandsP99Ms: number;
  readonly queriesP99Ms: number;
  readonly commands: number;
  readonly queries: number;
}

export interface SoakResult {
  readonly minutes: number;
  readonly commandsPerSecondOffered: number;
  readonly commandsPerSecondAchieved: number;
  readonly queriesPerSecondOffered: number;
  readonly rss: readonly RssTrend[];
  readonly rssSamples: Readonly<Record<string, readonly [number, number][]>>;
  readonly latencyWindows: readonly LatencyWindow[];
  readonly p99Drift: { readonly commands: boolean; readonly queries: boolean };
  readonly verdict: Verdict;
  readonly answers: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly passed: boolean;
}

const MiB = 1024 * 1024;

/**
 * Flat within noise: the slope is not significantly above 0 (its 95 % interval reaches 0 or
 * below: memory given back is no leak), or the growth it predicts over the window is within two
 * standard deviations of the samples around the line.
 */
export function trend(service: string, points: readonly [number, number][]): RssTrend {
  const n = points.length;
  const xs = points.map(([t]) => t / 3_600_000);
  const ys = points.map(([, rss]) => rss / MiB);
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += ((xs[i] ?? 0) - mx) ** 2;
    sxy += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const residuals = ys.map((y, i) => y - (my + slope * ((xs[i] ?? 0) - mx)));
  const variance = residuals.reduce((a, r) => a + r * r, 0) / Math.max(1, n - 2);
  const noise = Math.sqrt(variance);
  const standardError = sxx > 0 ? Math.sqrt(variance / sxx) : 0;
  const ci = 1.96 * standardError;
  const spanHours = n > 1 ? (xs[n - 1] ?? 0) - (xs[0] ?? 0) : 0;
  const flat = slope - ci <= 0 || slope * spanHours <= 2 * noise;
  return {
    service,
    samples: n,
    firstMiB: ys[0] ?? 0,
    lastMiB: ys[n - 1] ?? 0,
    slopeMiBPerHour: slope,
    slopeCi95MiBPerHour: ci,
    noiseMiB: noise,
    flat,
  };
}

function p99(values: number[]): number {
  return quantile(
    values.sort((a, b) => a - b),
    0.99,
  );
}

/** A drift: the last window's p99 above 1.5× the first's and 20 ms more (noise on a shared two-core machine). */
function drifted(first: number, last: number): boolean {
  return last > first * 1.5 && last - first > 20;
}

export async function soak(log: (line: string) => void): Promise<SoakResult> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 30);
  const rate = Number(process.env.SOAK_RATE ?? 300);
  const queriesPerSecond = Number(process.env.SOAK_QUERY_RATE ?? 20);
  const pipeline = await startChaosPipeline({
    name: 'soak',
    gateways: 1,
    relays: 1,
    projectors: 1,
    postgres: sharedPostgres(),
    kafkaBrokers: stackSetting('KAFKA_BROKERS').split(','),
    registryUrl: stackSetting('SCHEMA_REGISTRY_URL'),
    redisUrl: stackSetting('REDIS_URL'),
  });
  try {
    const gateway = pipeline.liveGateways()[0];
    if (!gateway) throw new Error('no gateway');
    const tenants = await createTenants(gateway, pipeline.adminToken, 60, 'soak');
    const load = new Load({
      gateways: () => pipeline.liveGateways(),
      tenants,
      commandsPerSecond: rate,
      queriesPerSecond,
    });
    const samples: Record<string, [number, number][]> = {};
    const started = Date.now();
    const end = started + minutes * 60_000;
    load.start();
    log(`soak: ${minutes} min at ${rate} commands/s and ${queriesPerSecond} queries/s`);
    for (let next = started, sample = 0; Date.now() < end; sample++) {
      for (const service of pipeline.all) {
        const rss = service.rssBytes();
        if (rss !== undefined) (samples[service.id] ??= []).push([Date.now() - started, rss]);
      }
      if (sample % 6 === 0) {
        log(
          `soak: ${((Date.now() - started) / 60_000).toFixed(1)} min, ${load.acknowledgedCount} acknowledged, RSS ` +
            pipeline.all.map((s) => `${s.id} ${((s.rssBytes() ?? 0) / MiB).toFixed(0)} MiB`).join(', '),
        );
      }
      next += 10_000;
      await sleep(Math.max(0, next - Date.now()));
    }
    await load.stop();
    const elapsed = Date.now() - started;
    await awaitDrained(pipeline.database.adminUrl, 300_000);
    const verdict = await audit({
      adminUrl: pipeline.database.adminUrl,
      brokers: stackSetting('KAFKA_BROKERS').split(','),
      topics: pipeline.topics,
      acknowledged: load.acknowledged,
    });
    // The judged window: the last 20 minutes (all of it when the soak is shorter than 25).
    const judgedFrom = minutes >= 25 ? elapsed - 20 * 60_000 : elapsed / 5;
    const rss = Object.entries(samples).map(([id, points]) =>
      trend(
        id,
        points.filter(([t]) => t >= judgedFrom),
      ),
    );
    const windowMinutes = minutes >= 25 ? 5 : Math.max(1, Math.floor(minutes / 5));
    const windows: LatencyWindow[] = [];
    for (let from = 0; from + windowMinutes <= Math.ceil(elapsed / 60_000); from += windowMinutes) {
      const inWindow = (entries: { at: number; ms: number }[]) =>
        entries
          .filter((e) => e.at - started >= from * 60_000 && e.at - started < (from + windowMinutes) * 60_000)
          .map((e) => e.ms);
      const commands = inWindow(load.answers.commandLatencies);
      const queries = inWindow(load.answers.queryLatencies);
      if (commands.length === 0) continue;
      windows.push({
        fromMinute: from,
        toMinute: from + windowMinutes,
        commands: commands.length,
        queries: queries.length,
        commandsP99Ms: p99(commands),
        queriesP99Ms: p99(queries),
      });
    }
    // The first window holds the warm-up (JIT, pools, caches): drift is judged from the second on.
    const first = windows[1] ?? windows[0];
    const last = windows.at(-1);
    const p99Drift = {
      commands: first && last ? drifted(first.commandsP99Ms, last.commandsP99Ms) : false,
      queries: first && last ? drifted(first.queriesP99Ms, last.queriesP99Ms) : false,
    };
    const passed =
      verdict.lost.total === 0 &&
      verdict.reordered === 0 &&
      verdict.duplicatesDiffering === 0 &&
      Object.values(verdict.verify).every((v) => v.consistent) &&
      load.answers.violations.length === 0 &&
      rss.every((r) => r.flat) &&
      !p99Drift.commands &&
      !p99Drift.queries;
    return {
      minutes,
      commandsPerSecondOffered: rate,
      commandsPerSecondAchieved: load.acknowledgedCount / (elapsed / 1000),
      queriesPerSecondOffered: queriesPerSecond,
      rss,
      rssSamples: samples,
      latencyWindows: windows,
      p99Drift,
      verdict,
      answers: { commands: load.answers.commands.before, queries: load.answers.queries.before },
      passed,
    };
  } finally {
    await pipeline.stop();
  }
}
