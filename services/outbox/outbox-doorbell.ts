import type { DatabasePool } from 'slonik';
import { sql } from '../platform/database/index.ts';

/** The channel the outbox relay LISTENs on; the payload names the lanes to wake. */
export const OUTBOX_CHANNEL = 'eventline_outbox';

/**
 * Tells the relay that tenants have new outbox rows, after their appends have
 * committed, batched to at most one NOTIFY per interval. A NOTIFY inside the
 * append would serialise every commit on PostgreSQL's notification lock; a lost
 * ring costs only latency, since the relay polls too.
 */
export class OutboxDoorbell {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: DatabasePool,
    private readonly intervalMs = 2,
  ) {}

  ring(tenant: string): void {
    this.pending.add(tenant);
    this.timer ??= setTimeout(() => this.send(), this.intervalMs);
  }

  /** Sends what is pending now: on shutdown, so the last appends are announced. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.send();
    }
    await this.inFlight;
  }

  private send(): void {
    this.timer = undefined;
    const tenants = [...this.pending];
    this.pending.clear();
    this.inFlight = this.pool
      .query(sql.typeAlias('void')`SELECT ring_outbox_doorbell(${sql.array(tenants, 'uuid')})`)
      .then(
        () => undefined,
        () => undefined, // the relay's polling covers a ring that did not go out
      );
  }
}
