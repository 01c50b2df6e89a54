import { Counter, type Registry } from 'prom-client';

/** How a query was answered: fresh from the cache, from the read models, or stale from the cache. */
export type CacheResult = 'hit' | 'miss' | 'bypass' | 'stale';

const RESULTS: readonly CacheResult[] = ['hit', 'miss', 'bypass', 'stale'];

/** query_cache_requests_total{result}; no tenant label, so its cardinality stays four. */
export class QueryCacheMetrics {
  private readonly requests: Counter<'result'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'query_cache_requests_total',
      help: 'Queries by how the cache answered: hit, miss, bypass (X-Min-Position beyond the cached answer), stale (read models unreachable)',
      labelNames: ['result'],
      registers: [registry],
    });
    for (const result of RESULTS) this.requests.inc({ result }, 0);
  }

  count(result: CacheResult): void {
    this.requests.inc({ result });
  }
}
