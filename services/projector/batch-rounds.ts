/**
 * Partition batches of one projection applied in rounds, one transaction each:
 * a batch handed over while a round runs waits for it, and goes in the next
 * round with every other that came meanwhile. A lone batch starts at once (no
 * timer: only the batches kafkajs hands over in the same turn of the event
 * loop join it); under load, one transaction carries many partitions, where
 * each had its own and its round trips per batch.
 */
export class BatchRounds<Batch, Outcome> {
  private waiting: Array<{
    readonly batch: Batch;
    readonly resolve: (outcome: Outcome) => void;
    readonly reject: (error: unknown) => void;
  }> = [];
  private running = false;

  /** `apply` answers one outcome per batch, in their order. */
  constructor(private readonly apply: (batches: readonly Batch[]) => Promise<readonly Outcome[]>) {}

  submit(batch: Batch): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    // kafkajs hands a fetch's partition batches to its workers in one turn: let them all join.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const round = this.waiting;
      this.waiting = [];
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
    this.running = false;
  }
}
