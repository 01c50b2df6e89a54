import type { DatabasePool } from 'slonik';
import { sql } from '../platform/database/index.ts';

/** The channel the outbox relay LISTENs on; the payload names the lanes to wake. */
export const OUTBOX_CHANNEL = 'eventline_outbox';

/** Sends one ring naming these tenants' lanes; a ring that fails is dropped. */
export type RingSender = (tenants: readonly string[]) => Promise<void>;

/** The ring as the relay hears it: `ring_outbox_doorbell` NOTIFYs the lanes of these tenants. */
export function ringThrough(pool: DatabasePool): RingSender {
  return async (tenants) => {
    await pool
      .query(sql.typeAlias('void')`SELECT ring_outbox_doorbell(${sql.array([...tenants], 'uuid')})`)
      .catch(() => undefined); // the relay's polling covers a ring that did not go out
  };
}

/**
 * Tells the relay that tenants have new outbox rows, after their appends have
 * committed: at most one NOTIFY per interval. A NOTIFY inside the append would
 * serialise every commit on PostgreSQL's notification lock; a lost ring costs
 * only latency, since the relay polls too. The first ring after a quiet
 * interval goes at the end of the event loop's turn, not at once: a lone
 * command still waits on no timer between its commit and the relay, and the
 * appends of a creation batch, answered in one turn, share its NOTIFY instead
 * of ringing again when the interval ends. Rings during the interval share the
 * one that ends it.
 */
export class OutboxDoorbell {
  private readonly pending = new Set<string>();
  /** Cancels the send scheduled for what is pending, if one is. */
  private cancelScheduled: (() => void) | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly sendRing: RingSender,
    private readonly intervalMs = 2,
  ) {}

  ring(tenant: string): void {
    this.pending.add(tenant);
    if (this.cancelScheduled) return;
    const wait = this.lastSentAt + this.intervalMs - performance.now();
    if (wait <= 0) {
      const turnEnd = setImmediate(() => this.send());
      this.cancelScheduled = () => clearImmediate(turnEnd);
    } else {
      const timer = setTimeout(() => this.send(), wait);
      this.cancelScheduled = () => clearTimeout(timer);
    }
  }

  /** Sends what is pending now: on shutdown, so the last appends are announced. */
  async flush(): Promise<void> {
    if (this.cancelScheduled) {
      this.cancelScheduled();
      this.send();
    }
    await this.inFlight;
  }

  private send(): void {
    this.cancelScheduled = undefined;
    this.lastSentAt = performance.now();
    const tenants = [...this.pending];
    this.pending.clear();
    this.inFlight = this.sendRing(tenants);
  }
}
