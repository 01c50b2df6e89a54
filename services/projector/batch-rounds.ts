/**
 * Partition batches applied in rounds, one transaction each: a batch handed
 * over while the rounds allowed at once run waits for one to end, and goes in
 * the next round with every other that came meanwhile. A lone batch starts at once (no
 * timer: only the batches kafkajs hands over in the same turn of the event
 * loop join it); under load, one transaction carries many partitions, where
 * each had its own and its round trips per batch.
 */
export interface RoundsAtOnce<Batch> {
  /** Rounds under way at once at most (each holds a connection while its transaction runs). */
  readonly most: number;
  /** How much work a batch is (its records). */
  readonly weight: (batch: Batch) => number;
  /**
   * A further round starts beside those under way only once the batches
   * waiting weigh this much: a backlog keeps the database busy while the
   * next round is prepared, and a trickle still goes together.
   */
  readonly busyAt: number;
}

export class BatchRounds<Batch, Outcome> {
  private waiting: Array<{
    readonly batch: Batch;
    readonly resolve: (outcome: Outcome) => void;
    readonly reject: (error: unknown) => void;
  }> = [];
  private waitingWeight = 0;
  private running = 0;
  /** A round is about to start: batches handed over now join it rather than start another. */
  private starting = false;

  constructor(
    /** Answers one outcome per batch, in their order. */
    private readonly apply: (batches: readonly Batch[]) => Promise<readonly Outcome[]>,
    private readonly atOnce: RoundsAtOnce<Batch> = { most: 1, weight: () => 1, busyAt: Infinity },
  ) {}

  submit(batch: Batch): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      this.waitingWeight += this.atOnce.weight(batch);
      const another =
        this.running === 0 || (this.running < this.atOnce.most && this.waitingWeight >= this.atOnce.busyAt);
      if (!this.starting && another) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running++;
    this.starting = true;
    // kafkajs hands a fetch's partition batches to its workers in one turn: let them all join.
    await new Promise((resolve) => setImmediate(resolve));
    this.starting = false;
    while (this.waiting.length > 0) {
      const round = this.waiting;
      this.waiting = [];
      this.waitingWeight = 0;
      try {
        const outcomes = await this.apply(round.map(({ batch }) => batch));
        for (const [index, { resolve, reject }] of round.entries()) {
          const outcome = outcomes[index];
          if (outcome === undefined) reject(new Error('a round answered fewer outcomes than batches'));
          else resolve(outcome);
        }
      } catch (error) {
        for (const { reject } of round) reject(error);
      }
    }
    this.running--;
  }
}
