/** One figure over the repeated rounds of a scenario: its median and spread. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** The interquartile range's ends (linear interpolation, as numpy's default). */
  readonly q1: number;
  readonly q3: number;
  /** The figure of each round, in the order they ran. */
  readonly rounds: readonly number[];
}

/** The q-quantile (0 ≤ q ≤ 1) of values sorted ascending, interpolating between neighbours. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.ceil(at);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[above] ?? Number.NaN;
  return low + (high - low) * (at - below);
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export function summarize(rounds: readonly number[]): Summary {
  const sorted = [...rounds].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    rounds: [...rounds],
  };
}

/** Latency percentiles (milliseconds) of one round's recorded operations. */
export function percentiles(latenciesMs: Float64Array): { p50: number; p99: number } {
  const sorted = Float64Array.from(latenciesMs).sort();
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** Milliseconds elapsed since a process.hrtime.bigint() reading. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
