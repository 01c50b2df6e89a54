import type { Outbox } from './outbox.ts';

interface Waiter {
  readonly transactionId: bigint;
  resolve(): void;
}

/** How often the horizon is read while some lane waits on it. */
const INTERVAL_MS = 2;

/**
 * Tells lanes when the horizon (the oldest running transaction) has passed the
 * transaction holding them back. One small query serves every waiting lane, and
 * only while some lane waits, instead of each lane re-reading its rows.
 */
export class HorizonWatch {
  private readonly waiters = new Set<Waiter>();
  private watching = false;

  constructor(private readonly outbox: Outbox) {}

  /** Resolves once every transaction up to and including `transactionId` has finished (or on `signal`). */
  passes(transactionId: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        transactionId: BigInt(transactionId),
        resolve: () => {
          this.waiters.delete(waiter);
          signal.removeEventListener('abort', waiter.resolve);
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal.addEventListener('abort', waiter.resolve, { once: true });
      void this.watch();
    });
  }

  private async watch(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    try {
      while (this.waiters.size > 0) {
        try {
          const horizon = await this.outbox.horizon();
          for (const waiter of [...this.waiters]) if (waiter.transactionId < horizon) waiter.resolve();
        } catch {
          // The database is away: release everyone; their next read reports the failure.
          for (const waiter of [...this.waiters]) waiter.resolve();
        }
        if (this.waiters.size > 0) await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      }
    } finally {
      this.watching = false;
    }
  }
}
