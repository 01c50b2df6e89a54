import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { IPolicy } from 'cockatiel';
import type { DatabasePool } from 'slonik';
import type { EventCodec } from '../messaging/index.ts';
import { LaneLeases, Outbox, OutboxNotifications } from '../outbox/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import { LaneSweep, type SweepSettings } from './lane-sweep.ts';
import type { Publisher } from './publisher.ts';
import type { RelayMetrics } from './relay-metrics.ts';

export interface RelaySettings extends SweepSettings {
  /** A lane lease's length; renewed every second (or every third of it, when shorter). */
  readonly leaseTtlMs: number;
  /** For LISTEN: a direct connection (a transaction pooler would drop it). */
  readonly notificationsUrl: string;
}

export const DEFAULT_SETTINGS = {
  batchSize: 1_000,
  pollIntervalMs: 1_000,
  maxBatchBytes: 900_000,
  leaseTtlMs: 10_000,
} as const;

/**
 * Publishes the outbox to Kafka: holds leases on its fair share of lanes, and
 * one LaneSweep publishes them all, woken by notifications naming a held lane.
 * Several replicas share the lanes through the lease table; see docs/relay.md.
 */
export class OutboxRelay {
  readonly outbox: Outbox;
  private readonly leases: LaneLeases;
  /** Lanes held, and until when each lease is safely valid. */
  private readonly lanes = new Map<number, number>();
  private readonly sweep: LaneSweep;
  private readonly notifications: OutboxNotifications;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    pool: DatabasePool,
    /** PostgreSQL's circuit breaker, in front of the sweep's statements. */
    databaseGuard: IPolicy,
    private readonly codec: EventCodec,
    private readonly publisher: Publisher,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
    private readonly settings: RelaySettings,
  ) {
    this.outbox = new Outbox(pool, databaseGuard);
    this.sweep = new LaneSweep(settings, {
      outbox: this.outbox,
      codec,
      publisher,
      metrics,
      log,
      lanes: {
        held: () => this.heldLanes(),
        holdsLease: (lane) => !this.stopped && Date.now() < (this.lanes.get(lane) ?? 0),
      },
    });
    this.leases = new LaneLeases(
      pool,
      `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
      settings.leaseTtlMs,
    );
    this.notifications = new OutboxNotifications(
      settings.notificationsUrl,
      (lanes) => {
        if (lanes === 'all' || lanes.some((lane) => this.lanes.has(lane))) this.sweep.wake();
      },
      log,
    );
  }

  get replica(): string {
    return this.leases.replica;
  }

  /** Lanes held right now. */
  heldLanes(): number[] {
    return [...this.lanes.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    const resumed = await this.outbox.resumeHaltedTenants();
    if (resumed > 0) this.log.warn({ tenants: resumed }, 'retrying tenants halted at an unencodable event');
    await this.notifications.start();
    await this.tick();
    this.sweep.start();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    // Often, so a replica that joins or leaves is noticed within a second or two and the lanes
    // rebalance quickly; the lease itself stays long enough to ride out a slow renewal.
    this.timer = setTimeout(
      () => {
        this.ticking = this.tick().finally(() => this.schedule());
      },
      Math.min(1_000, this.settings.leaseTtlMs / 3),
    );
  }

  /** Renews the leases held, gives back lanes beyond a fair share, claims free lanes up to it. */
  private async tick(): Promise<void> {
    const sentAt = Date.now();
    // Trust a lease for less than its length: the renewal's own round trip, and clock drift.
    const validUntil = sentAt + this.settings.leaseTtlMs * 0.8;
    try {
      const { replicas, fairShare: share } = await this.leases.heartbeat();
      const kept = new Set(await this.leases.renew(this.heldLanes()));
      for (const number of this.heldLanes()) {
        if (kept.has(number)) this.lanes.set(number, validUntil);
        else void this.drop(number, 'lease lost');
      }
      const excess = this.heldLanes().slice(share);
      // Given back once its batch in flight is acknowledged and deleted, so the next holder
      // starts where this one ended. Not awaited: the other leases must keep being renewed.
      for (const number of excess) {
        void this.drop(number, 'more than a fair share')
          .then(() => this.leases.release([number]))
          .catch((error: unknown) =>
            this.log.warn({ err: error, lane: number }, 'giving a lane back failed'),
          );
      }
      const claimed = await this.leases.claim(share - this.lanes.size);
      for (const number of claimed) this.lanes.set(number, validUntil);
      if (claimed.length > 0) this.sweep.changeLanes();
      if (claimed.length > 0 || excess.length > 0) {
        this.log.info({ replicas, claimed, released: excess, held: this.lanes.size }, 'lanes rebalanced');
      }
      this.metrics.lanesHeld.set(this.lanes.size);
      const halted = await this.outbox.haltedTenants();
      this.sweep.haltedAre(halted);
      this.metrics.haltedTenants.set(halted.size);
    } catch (error) {
      this.metrics.errors.inc({ kind: 'lease' });
      this.log.warn({ err: error }, 'renewing lane leases failed; lanes stop when their leases lapse');
    }
  }

  /** Stops publishing the lane; resolves once nothing of it is in flight any more. */
  private async drop(number: number, why: string): Promise<void> {
    if (!this.lanes.delete(number)) return;
    this.sweep.changeLanes();
    await this.sweep.settle();
    this.log.info({ lane: number, why }, 'lane stopped');
  }

  /** Stops publishing after the batches in flight, then gives the leases back for another replica. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await this.notifications.close();
    await this.sweep.stop();
    const lanes = this.heldLanes();
    this.lanes.clear();
    try {
      await this.leases.release(lanes);
      await this.leases.leave();
    } catch (error) {
      this.log.warn({ err: error }, 'could not give leases back; they lapse on their own');
    }
  }
}
