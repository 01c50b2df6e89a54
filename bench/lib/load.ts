import { msSince } from './stats.ts';

/** One round of load: how many operations ran, how long the round took, each one's latency. */
export interface RoundResult {
  readonly operations: number;
  /** From the first operation's start to the last one's end (in-flight ones finish after the deadline). */
  readonly elapsedMs: number;
  /** Per operation, in milliseconds, measured with process.hrtime.bigint(). */
  readonly latenciesMs: Float64Array;
}

export const CLOSED_LOOP =
  'closed loop in the benchmark process: <c> async workers, each awaiting its operation before starting the next (no think time), for a fixed time per round';

/**
 * Runs operations with `concurrency` workers for `durationMs`: each worker issues
 * its next operation as soon as its previous one has finished, and none starts
 * after the deadline. A round thus takes about the same time whatever the
 * machine's speed, so the run's length stays bounded. makeWorker(i) gives worker
 * i its own operation (so it can keep its own streams and expected versions).
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  makeWorker: (worker: number) => () => Promise<void>,
): Promise<RoundResult> {
  const latencies: number[] = [];
  const workers = Array.from({ length: concurrency }, (_, i) => makeWorker(i));
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs * 1e6));
  await Promise.all(
    workers.map(async (operation) => {
      while (process.hrtime.bigint() < deadline) {
        const began = process.hrtime.bigint();
        await operation();
        latencies.push(msSince(began));
      }
    }),
  );
  return {
    operations: latencies.length,
    elapsedMs: msSince(start),
    latenciesMs: Float64Array.from(latencies),
  };
}

/**
 * Runs one operation again and again, one at a time, until `durationMs` has
 * passed and it ran at least `atLeast` times; returns each run's latency in ms.
 */
export async function sequential(
  durationMs: number,
  atLeast: number,
  operation: () => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  while (latencies.length < atLeast || msSince(start) < durationMs) {
    const began = process.hrtime.bigint();
    await operation();
    latencies.push(msSince(began));
  }
  return latencies;
}
