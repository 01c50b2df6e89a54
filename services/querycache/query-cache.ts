import type { Redis } from 'ioredis';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { RedisCircuit } from '../platform/redis/index.ts';
import type { PreparedQuery, QueryAnswer, Watermark } from '../readmodels/index.ts';
import { answerKey, DEFAULT_CACHE_KEY_PREFIX, generationKey } from './cache-keys.ts';
import {
  type CacheCommands,
  RAISE_GENERATIONS_COMMAND,
  RAISE_GENERATIONS_SCRIPT,
  STORE_ANSWER_COMMAND,
  STORE_ANSWER_SCRIPT,
} from './cache-scripts.ts';
import { parseWatermark, watermarkText } from './watermark-text.ts';

/**
 * A generation outlives every answer (answers live at most an hour), so an
 * answer is never found without the generation that judges it.
 */
export const GENERATION_TTL_SECONDS = 86_400;

export interface CachedAnswer {
  readonly answer: QueryAnswer;
  /** The read model's watermark the answer was read at. */
  readonly watermark: Watermark;
}

/** What Redis holds for a query: its last answer, and the tenant's newest known watermark of the read model. */
export interface CacheLookup {
  readonly cached: CachedAnswer | undefined;
  readonly generation: Watermark | undefined;
}

export function defineCacheCommands(redis: Redis): Redis & CacheCommands {
  // Keys counted per call: a tenant's generations, as many as a round touched.
  redis.defineCommand(RAISE_GENERATIONS_COMMAND, { lua: RAISE_GENERATIONS_SCRIPT });
  redis.defineCommand(STORE_ANSWER_COMMAND, { numberOfKeys: 2, lua: STORE_ANSWER_SCRIPT });
  return redis as Redis & CacheCommands;
}

function decode(stored: string | null): CachedAnswer | undefined {
  if (stored === null) return undefined;
  const bar = stored.indexOf('|');
  const watermark = parseWatermark(stored.slice(0, bar));
  if (bar < 0 || !watermark) return undefined;
  return { answer: JSON.parse(stored.slice(bar + 1)) as QueryAnswer, watermark };
}

/**
 * Query answers in Redis, per tenant, query type and canonical params. Each
 * answer carries the watermark it was read at; the projector (after each batch)
 * and the gateway (after each read) raise the tenant's generation of the read
 * model, and an answer older than it is not served fresh. Every call goes
 * through the circuit: a slow or dead Redis costs a query one short deadline
 * per backoff, then is skipped.
 */
export class QueryCache {
  private readonly redis: Redis & CacheCommands;

  constructor(
    redis: Redis,
    private readonly circuit: RedisCircuit,
    private readonly options: { readonly ttlSeconds: number; readonly keyPrefix?: string },
  ) {
    this.redis = defineCacheCommands(redis);
  }

  private get prefix(): string {
    return this.options.keyPrefix ?? DEFAULT_CACHE_KEY_PREFIX;
  }

  /** One round trip: the answer and the generation it is judged by. */
  async lookup(tenant: TenantId, query: PreparedQuery): Promise<CacheLookup> {
    const [stored, generation] = await this.circuit.run(() =>
      this.redis.mget(
        answerKey(this.prefix, tenant, query),
        generationKey(this.prefix, tenant, query.projection),
      ),
    );
    return { cached: decode(stored ?? null), generation: parseWatermark(generation ?? null) };
  }

  async store(tenant: TenantId, query: PreparedQuery, cached: CachedAnswer): Promise<void> {
    const mark = watermarkText(cached.watermark);
    // Serialized now, before the caller goes on to open the answer's personal data for its response.
    const entry = `${mark}|${JSON.stringify(cached.answer)}`;
    await this.circuit.run(() =>
      this.redis[STORE_ANSWER_COMMAND](
        generationKey(this.prefix, tenant, query.projection),
        answerKey(this.prefix, tenant, query),
        mark,
        entry,
        this.options.ttlSeconds,
        GENERATION_TTL_SECONDS,
      ),
    );
  }
}
