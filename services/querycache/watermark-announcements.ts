import type { Redis } from 'ioredis';
import type { ReadinessCheck } from '../platform/health/index.ts';
import type { Logger } from '../platform/telemetry/index.ts';
import type { Watermark, WatermarkWaits } from '../readmodels/index.ts';
import { DEFAULT_CACHE_KEY_PREFIX } from './cache-keys.ts';
import { parseWatermark, watermarkText } from './watermark-text.ts';

/** The Redis channel the projector announces committed watermarks on. */
export function announcementChannel(keyPrefix = DEFAULT_CACHE_KEY_PREFIX): string {
  return `${keyPrefix}watermarks`;
}

/** One message per round trip: a line "<projection> <tenant> <transaction id>:<position>" per projection and tenant. */
export function announcement(
  marks: readonly { projection: string; tenant: string; mark: Watermark }[],
): string {
  return marks
    .map(({ projection, tenant, mark }) => `${projection} ${tenant} ${watermarkText(mark)}`)
    .join('\n');
}

/**
 * The gateway's one listener to the projector's announcements, on a Redis
 * connection of its own (a subscribed connection serves nothing else), shared
 * by every waiting query of the process. Redis pub/sub delivers at most once:
 * a message lost while the connection is down is made up for by waking every
 * wait once it is subscribed again, and until then the waits poll.
 */
export class WatermarkAnnouncements {
  private readonly subscriber: Redis;
  private readonly channel: string;
  private subscribed = false;

  constructor(
    redis: Redis,
    private readonly waits: WatermarkWaits,
    private readonly log: Logger,
    keyPrefix?: string,
  ) {
    this.channel = announcementChannel(keyPrefix);
    // Subscribed by hand on every 'ready': ioredis's own resubscription lands after 'ready' fires.
    this.subscriber = redis.duplicate({ autoResubscribe: false });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.heard(message);
    });
    this.subscriber.on('ready', () => void this.subscribe());
    this.subscriber.on('close', () => this.listening(false));
    // Reported by /ready's redis check and the quotas; here a loss only makes the waits poll.
    this.subscriber.on('error', () => undefined);
  }

  /** For /ready: not essential, a wait only polls without announcements. */
  readinessCheck(): ReadinessCheck {
    return {
      name: 'read-your-writes',
      essential: false,
      check: () =>
        this.subscribed
          ? Promise.resolve()
          : Promise.reject(new Error('not subscribed to the watermark announcements: waits poll')),
    };
  }

  close(): void {
    this.listening(false);
    this.subscriber.disconnect();
  }

  private listening(subscribed: boolean): void {
    this.subscribed = subscribed;
    this.waits.announcing = subscribed;
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
      this.listening(true);
      this.waits.announceAll();
    } catch (error) {
      this.log.warn({ err: error }, 'announcements of read-model watermarks unheard: read-your-writes polls');
    }
  }

  private heard(message: string): void {
    for (const line of message.split('\n')) {
      const [projection, tenant, mark] = line.split(' ');
      if (projection && tenant) this.waits.announce(projection, tenant, parseWatermark(mark ?? null));
    }
  }
}
