import type { TenantId } from '../../platform/tenancy/index.ts';
import type { Watermark } from './read-your-writes.ts';

/** Until announcements flow (or when they stop), a wait looks again this soon, backing off to the most. */
const POLL_FROM_MS = 5;
const POLL_MOST_MS = 50;

/** One wait's next wake-up: an announcement for its projection and tenant, or its time running out. */
export interface WakeUp {
  /**
   * Resolves at the first announcement since the wake-up was taken, with the
   * watermark it announced (if it named one), or after `ms` with none.
   */
  within(ms: number): Promise<Watermark | undefined>;
  /** The wait is over: nothing resolves it any more. */
  cancel(): void;
}

export interface WatermarkWaitsOptions {
  /**
   * While announcements flow, how long a wait sleeps at most between two looks
   * of its own: only an announcement lost on the way (Redis dropped it, the
   * projector died between its commit and the announcement) leaves it that long.
   */
  readonly recheckMs: number;
  /**
   * Whether a committed watermark is at once visible where the answer is read
   * (the read models are read on the database the projector writes, not on a
   * replica): an announced watermark past the target then ends the wait
   * without a look of its own.
   */
  readonly announcedIsVisible?: boolean;
  /** The number of waits under way, each time it changes (a gauge). */
  readonly onWaiting?: (waiting: number) => void;
}

/**
 * The read-your-writes waits of one process, woken by the projector's
 * announcements that a projection's watermark of a tenant has moved (one
 * listener per process feeds them all). An announcement says "look again":
 * the wait reads the watermark itself, where it reads the answer, unless the
 * announced watermark is past its target and visible there already.
 */
export class WatermarkWaits {
  private readonly waiting = new Map<string, Set<(mark: Watermark | undefined) => void>>();
  private count = 0;
  /** Whether the listener is subscribed, so announcements can be relied on. */
  private listening = false;

  constructor(private readonly options: WatermarkWaitsOptions) {}

  /** The listener's state: while it is not subscribed, waits poll as if there were no announcements. */
  set announcing(subscribed: boolean) {
    this.listening = subscribed;
  }

  /** Whether an announced watermark past the target may end a wait without a look (see the option). */
  get announcedIsVisible(): boolean {
    return this.options.announcedIsVisible ?? false;
  }

  /** A projection's watermark of a tenant has moved (to `mark`, committed): its waits look again. */
  announce(projection: string, tenant: string, mark?: Watermark): void {
    const key = keyOf(projection, tenant);
    const woken = this.waiting.get(key);
    if (!woken) return;
    this.waiting.delete(key);
    for (const wake of woken) wake(mark);
  }

  /** Announcements may have been missed (the listener has just (re)subscribed): every wait looks again. */
  announceAll(): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const woken of all) for (const wake of woken) wake(undefined);
  }

  /** The sleep after the `attempt`-th look (0 first) that found the projection behind. */
  pauseAfter(attempt: number): number {
    return this.listening ? this.options.recheckMs : Math.min(POLL_FROM_MS * 2 ** attempt, POLL_MOST_MS);
  }

  /** Counts a wait under way until `end` is called. */
  begin(): () => void {
    this.options.onWaiting?.(++this.count);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.options.onWaiting?.(--this.count);
    };
  }

  /**
   * Taken before each look at the watermark, so an announcement that comes
   * while the look is under way is not lost: the wake-up is then already due.
   */
  wakeUp(projection: string, tenant: TenantId): WakeUp {
    const key = keyOf(projection, tenant);
    let woken: { mark: Watermark | undefined } | undefined;
    let resolveWake: ((mark: Watermark | undefined) => void) | undefined;
    const wake = (mark: Watermark | undefined) => {
      woken = { mark };
      resolveWake?.(mark);
    };
    const forget = () => {
      const set = this.waiting.get(key);
      set?.delete(wake);
      if (set?.size === 0) this.waiting.delete(key);
    };
    const set = this.waiting.get(key) ?? new Set();
    set.add(wake);
    this.waiting.set(key, set);
    return {
      within: (ms) =>
        woken
          ? Promise.resolve(woken.mark)
          : new Promise<Watermark | undefined>((resolve) => {
              const timer = setTimeout(() => {
                forget();
                resolve(undefined);
              }, ms);
              resolveWake = (mark) => {
                clearTimeout(timer);
                resolve(mark);
              };
            }),
      cancel: forget,
    };
  }
}

const keyOf = (projection: string, tenant: string) => `${projection}\u0000${tenant}`;
