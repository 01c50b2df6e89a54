import type { CircuitState } from 'cockatiel';
import type { Redis } from 'ioredis';
import type { TenantId } from '../platform/tenancy/index.ts';
import { RedisCircuit } from '../platform/redis/index.ts';
import { compareWatermarks, type Watermark } from '../readmodels/index.ts';
import { DEFAULT_CACHE_KEY_PREFIX, generationKey } from './cache-keys.ts';
import { type CacheCommands, RAISE_GENERATIONS_COMMAND } from './cache-scripts.ts';
import { GENERATION_TTL_SECONDS, defineCacheCommands } from './query-cache.ts';
import { announcement, announcementChannel } from './watermark-announcements.ts';
import { watermarkText } from './watermark-text.ts';

/** The projector may wait a little longer than a query for Redis: it is off the request path. */
const PUBLISH_TIMEOUT_MS = 500;

/**
 * The projector's side of the query cache: once a batch has committed, the new
 * watermark of each tenant it touched becomes that tenant's generation of the
 * read model, and is announced to the gateways' read-your-writes waits, in
 * pipelined round trips, one at a time; cached answers older than it stop being
 * served. Marks that could not be published (Redis away) go with the next
 * batch; until then an answer may be served stale for at most
 * QUERY_CACHE_TTL_SECONDS, never to a caller whose X-Min-Position it misses, and
 * waits find the watermark by their own recheck.
 */
export class ReadModelGenerations {
  private readonly redis: Redis & CacheCommands;
  private readonly circuit: RedisCircuit;
  private readonly pending = new Map<string, { projection: string; tenant: TenantId; mark: Watermark }>();
  private failing = false;
  /** The round trip under way and the ones it chains, while marks keep arriving. */
  private sending: Promise<void> | undefined;

  constructor(
    redis: Redis,
    private readonly options: {
      readonly keyPrefix?: string;
      readonly onFailure?: (error: unknown) => void;
      /** Each move of the Redis circuit, for circuit_breaker_state. */
      readonly onStateChange?: (state: CircuitState) => void;
    } = {},
  ) {
    this.redis = defineCacheCommands(redis);
    this.circuit = new RedisCircuit({
      timeoutMs: PUBLISH_TIMEOUT_MS,
      ...(options.onStateChange ? { onStateChange: options.onStateChange } : {}),
    });
  }

  /**
   * Never throws: marks that fail go with the next call, and only the first
   * failure of an outage is reported. Tenant ids come from verified event headers.
   * One round trip at a time: marks given in the same turn of the event loop
   * (a round reports every projection's batch in one loop) go in one, and
   * marks that arrive while one is under way (the next rounds') go together in
   * the next, sent as soon as it returns, so a wait wakes at most one round
   * trip later and catch-up pays a round trip per several batches instead of
   * one per batch. Resolves once these marks were sent or failed.
   */
  advance(projection: string, marks: ReadonlyMap<string, Watermark>): Promise<void> {
    for (const [tenant, mark] of marks) this.remember(projection, tenant as TenantId, mark);
    if (this.pending.size > 0) this.sending ??= this.sendPending();
    return this.sending ?? Promise.resolve();
  }

  private async sendPending(): Promise<void> {
    try {
      // The rest of this turn's marks join the first round trip; and `sending` is set before the finally.
      await Promise.resolve();
      while (this.pending.size > 0 && (await this.send())) {
        // Each pass sends what the previous one's round trip collected.
      }
    } finally {
      this.sending = undefined;
    }
  }

  /** One pipelined round trip with every pending mark; false (marks kept) when it failed. */
  private async send(): Promise<boolean> {
    const sending = [...this.pending.values()];
    this.pending.clear();
    try {
      const results = await this.circuit.run(() => {
        const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> &
          CacheCommands<{ type: 'pipeline' }>;
        const prefix = this.options.keyPrefix ?? DEFAULT_CACHE_KEY_PREFIX;
        // One call per tenant for all its read models (three for a round of the orders topic).
        const byTenant = new Map<TenantId, { keys: string[]; marks: string[] }>();
        for (const { projection: name, tenant, mark } of sending) {
          let its = byTenant.get(tenant);
          if (!its) byTenant.set(tenant, (its = { keys: [], marks: [] }));
          its.keys.push(generationKey(prefix, tenant, name));
          its.marks.push(watermarkText(mark));
        }
        for (const { keys, marks } of byTenant.values())
          pipeline[RAISE_GENERATIONS_COMMAND](keys.length, ...keys, GENERATION_TTL_SECONDS, ...marks);
        // After the generations: a woken wait whose answer is then cached finds them raised.
        pipeline.publish(announcementChannel(prefix), announcement(sending));
        return pipeline.exec();
      });
      const failed = results?.find(([error]) => error)?.[0];
      if (failed) throw failed;
      this.failing = false;
      return true;
    } catch (error) {
      for (const { projection: name, tenant, mark } of sending) this.remember(name, tenant, mark);
      if (!this.failing) this.options.onFailure?.(error);
      this.failing = true;
      return false;
    }
  }

  private remember(projection: string, tenant: TenantId, mark: Watermark): void {
    const key = `${projection}\u0000${tenant}`;
    const known = this.pending.get(key);
    if (!known || compareWatermarks(mark, known.mark) > 0)
      this.pending.set(key, { projection, tenant, mark });
  }
}
