/** A partition of a projection that has records to apply and has applied none for too long. */
export interface StalledPartition {
  readonly topic: string;
  readonly partition: number;
  /** Since when it has had work and made no progress. */
  readonly stuckForMs: number;
}

interface PartitionState {
  /** When the partition last committed a batch, or started having work after being caught up. */
  since: number;
  /** Records known to wait: a batch in hand, or lag left after the last one. */
  behind: boolean;
  /** Lag was left after the last committed batch. */
  lagLeft: boolean;
}

/**
 * Per assigned partition, whether it has work and when it last made progress.
 * A batch that never commits (a handler that blocks, a dependency away) or lag
 * that no batch comes to take (a consumer that stopped fetching) both read as
 * stalled once `stallAfterMs` passes; a caught-up partition never does.
 */
export class PartitionProgress {
  private readonly partitions = new Map<string, PartitionState & { topic: string; partition: number }>();

  constructor(
    private readonly stallAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The group gave this replica these partitions: the others are someone else's now. */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    const kept = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}:${p}`)),
    );
    for (const key of this.partitions.keys()) if (!kept.has(key)) this.partitions.delete(key);
  }

  /** A batch arrived: there is work from now on unless there was already. */
  batchStarted(topic: string, partition: number): void {
    const state = this.stateOf(topic, partition);
    if (!state.behind) state.since = this.now();
    state.behind = true;
  }

  /** A batch committed; `lag` records remained behind it. */
  batchCommitted(topic: string, partition: number, lag: number): void {
    const state = this.stateOf(topic, partition);
    state.since = this.now();
    state.behind = lag > 0;
    state.lagLeft = lag > 0;
  }

  /**
   * A batch in hand was dropped unapplied: the partition moved on (a seek to
   * its checkpoint, a rebalance, the consumer stopping), so whoever fetches
   * those records next starts the clock again. Kept as a stall only if lag was
   * left before it; a batch that was never going to be applied is not work
   * waiting, and a quiet partition would otherwise read as stalled for good.
   */
  batchDropped(topic: string, partition: number): void {
    const state = this.stateOf(topic, partition);
    state.behind = state.lagLeft;
  }

  stalled(): StalledPartition[] {
    const now = this.now();
    return [...this.partitions.values()]
      .filter((state) => state.behind && now - state.since >= this.stallAfterMs)
      .map(({ topic, partition, since }) => ({ topic, partition, stuckForMs: now - since }));
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const key = `${topic}:${partition}`;
    let state = this.partitions.get(key);
    if (!state) {
      state = { topic, partition, since: this.now(), behind: false, lagLeft: false };
      this.partitions.set(key, state);
    }
    return state;
  }
}
