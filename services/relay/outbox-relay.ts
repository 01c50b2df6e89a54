import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DatabasePool } from 'slonik';
import type { EventCodec } from '../messaging/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import { HorizonWatch } from './horizon-watch.ts';
import { LANE_COUNT, LaneLeases } from './lane-leases.ts';
import { Outbox } from './outbox.ts';
import { type LaneSettings, OutboxLane } from './outbox-lane.ts';
import { OutboxNotifications } from './outbox-notifications.ts';
import type { Publisher } from './publisher.ts';
import type { RelayMetrics } from './relay-metrics.ts';

export interface RelaySettings extends LaneSettings {
  /** A lane lease's length; renewed every third of it. */
  readonly leaseTtlMs: number;
  /** For LISTEN: a direct connection (a transaction pooler would drop it). */
  readonly notificationsUrl: string;
}

export const DEFAULT_SETTINGS = {
  batchSize: 500,
  pollIntervalMs: 1_000,
  maxBatchBytes: 512_000,
  leaseTtlMs: 10_000,
} as const;

/**
 * Publishes the outbox to Kafka: holds leases on its fair share of lanes, runs
 * one OutboxLane per lane held, and wakes lanes on notifications. Several
 * replicas share the lanes through the lease table; see docs/relay.md.
 */
export class OutboxRelay {
  readonly outbox: Outbox;
  private readonly leases: LaneLeases;
  private readonly lanes = new Map<number, { lane: OutboxLane; validUntil: number }>();
  private readonly notifications: OutboxNotifications;
  private readonly horizon: HorizonWatch;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    pool: DatabasePool,
    private readonly codec: EventCodec,
    private readonly publisher: Publisher,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
    private readonly settings: RelaySettings,
  ) {
    this.outbox = new Outbox(pool);
    this.horizon = new HorizonWatch(this.outbox);
    this.leases = new LaneLeases(
      pool,
      `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`,
      settings.leaseTtlMs,
    );
    this.notifications = new OutboxNotifications(
      settings.notificationsUrl,
      (lanes) => {
        if (lanes === 'all') for (const held of this.lanes.values()) held.lane.wake();
        else for (const lane of lanes) this.lanes.get(lane)?.lane.wake();
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
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule());
    }, this.settings.leaseTtlMs / 3);
  }

  /** Renews the leases held, gives back lanes beyond a fair share, claims free lanes up to it. */
  private async tick(): Promise<void> {
    const sentAt = Date.now();
    // Trust a lease for less than its length: the renewal's own round trip, and clock drift.
    const validUntil = sentAt + this.settings.leaseTtlMs * 0.8;
    try {
      const replicas = Math.max(1, await this.leases.heartbeat());
      const kept = new Set(await this.leases.renew(this.heldLanes()));
      for (const [number, held] of this.lanes) {
        if (kept.has(number)) held.validUntil = validUntil;
        else void this.drop(number, 'lease lost');
      }
      const share = Math.ceil(LANE_COUNT / replicas);
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
      for (const number of claimed) this.add(number, validUntil);
      if (claimed.length > 0 || excess.length > 0) {
        this.log.info({ replicas, claimed, released: excess, held: this.lanes.size }, 'lanes rebalanced');
      }
      this.metrics.lanesHeld.set(this.lanes.size);
      this.metrics.haltedTenants.set(await this.outbox.haltedTenants());
    } catch (error) {
      this.metrics.errors.inc({ kind: 'lease' });
      this.log.warn({ err: error }, 'renewing lane leases failed; lanes stop when their leases lapse');
    }
  }

  private add(number: number, validUntil: number): void {
    const held = { lane: undefined as unknown as OutboxLane, validUntil };
    held.lane = new OutboxLane(number, this.settings, {
      outbox: this.outbox,
      codec: this.codec,
      publisher: this.publisher,
      metrics: this.metrics,
      log: this.log,
      holdsLease: () => !this.stopped && Date.now() < held.validUntil,
      horizon: this.horizon,
    });
    this.lanes.set(number, held);
    held.lane.start();
  }

  private async drop(number: number, why: string): Promise<void> {
    const held = this.lanes.get(number);
    if (!held) return;
    this.lanes.delete(number);
    await held.lane.stop();
    this.log.info({ lane: number, why }, 'lane stopped');
  }

  /** Stops every lane after its batch in flight, then gives their leases back for another replica. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await this.notifications.close();
    const lanes = this.heldLanes();
    await Promise.all(lanes.map((number) => this.drop(number, 'shutting down')));
    try {
      await this.leases.release(lanes);
      await this.leases.leave();
    } catch (error) {
      this.log.warn({ err: error }, 'could not give leases back; they lapse on their own');
    }
  }
}
