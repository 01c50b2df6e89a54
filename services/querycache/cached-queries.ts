import type { IPolicy } from 'cockatiel';
import { DependencyUnavailableError } from '../platform/errors/index.ts';
import { isConnectionOutage } from '../platform/resilience/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import {
  compareWatermarks,
  type PreparedQuery,
  type QueryAnswer,
  type ReadModelQueries,
  type ReadYourWrites,
  type ResolvedConsistency,
  type Watermark,
  type WatermarkedAnswer,
} from '../readmodels/index.ts';
import type { CacheResult, QueryCacheMetrics } from './query-cache-metrics.ts';
import type { CacheLookup, QueryCache } from './query-cache.ts';

/** An answer and how the cache took part in it (absent when there is no cache). */
export interface ServedAnswer {
  readonly answer: QueryAnswer;
  readonly cache?: CacheResult;
}

export interface CachedQueriesOptions {
  readonly queries: ReadModelQueries;
  /** Absent: every query reads the read models, and nothing can stand in when they are away. */
  readonly cache?: QueryCache;
  /** The circuit breaker in front of the read models' database. */
  readonly readModelGuard: IPolicy;
  readonly metrics?: QueryCacheMetrics;
}

const atOrPast = (mark: Watermark, than: Watermark) => compareWatermarks(mark, than) >= 0;

/**
 * Queries through the cache (docs/contracts.md §5). A cached answer is served when it is
 * as new as the tenant's generation of its read model and, with X-Min-Position,
 * reflects the caller's event; otherwise the read models answer and the answer
 * is cached. When the read models cannot be reached, the last cached answer of
 * the same query is served marked stale, unless X-Min-Position demands newer.
 */
export class CachedQueries {
  constructor(private readonly options: CachedQueriesOptions) {}

  async execute(tenant: TenantId, request: unknown, consistency?: ReadYourWrites): Promise<ServedAnswer> {
    const { queries, cache } = this.options;
    const query = queries.prepare(tenant, request);
    const resolving = consistency && queries.resolve(tenant, consistency);
    // With X-Min-Position the read models are read at once, beside the position's and the cache's
    // round trips (a read right after a command is rarely cached, and on a loaded gateway every
    // round trip in a row waits for a core); a cache hit leaves that read unused.
    const early = resolving && this.read(tenant, query, resolving);
    // Awaited below unless the cache answers or the position is refused: its failure is not lost.
    void early?.catch(() => undefined);
    const [resolved, lookup] = await Promise.all([resolving, cache && this.lookup(tenant, query)]);
    const target = resolved?.target;
    const cached = lookup?.cached;
    const current = cached && lookup.generation && atOrPast(cached.watermark, lookup.generation);
    if (current && (!target || atOrPast(cached.watermark, target))) return this.served(cached.answer, 'hit');
    try {
      const read = await (early ?? this.read(tenant, query));
      // Off the answer's path: a failed store loses nothing but a later hit. The next lookup on this
      // connection comes after it (Redis answers a connection's commands in order).
      if (cache) void cache.store(tenant, query, read).catch(() => undefined);
      return this.served(read.answer, cache ? (current && target ? 'bypass' : 'miss') : undefined);
    } catch (error) {
      if (!isConnectionOutage(error)) throw error;
      if (cached && (!target || atOrPast(cached.watermark, target)))
        return this.served(cached.answer, 'stale');
      throw new DependencyUnavailableError(
        'postgres',
        target && cached
          ? 'the read models are unreachable, and the last cached answer is older than X-Min-Position'
          : 'the read models are unreachable; retry shortly',
        { cause: error },
      );
    }
  }

  /** The read models' answer, behind their circuit breaker. */
  private read(
    tenant: TenantId,
    query: PreparedQuery,
    consistency?: Promise<ResolvedConsistency>,
  ): Promise<WatermarkedAnswer> {
    return this.options.readModelGuard.execute(() => this.options.queries.answer(tenant, query, consistency));
  }

  /** Redis away (the circuit has reported it): the query goes to the read models as if nothing were cached. */
  private async lookup(tenant: TenantId, query: PreparedQuery): Promise<CacheLookup | undefined> {
    return this.options.cache?.lookup(tenant, query).catch(() => undefined);
  }

  private served(answer: QueryAnswer, cache: CacheResult | undefined): ServedAnswer {
    if (!cache) return { answer };
    this.options.metrics?.count(cache);
    return { answer, cache };
  }
}
