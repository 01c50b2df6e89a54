import type { Redis } from 'ioredis';
import type { TenantId } from '../tenancy/index.ts';

const SCAN_BATCH = 1000;

/**
 * Deletes every key that names the tenant in its hash tag, `{<tenant id>}`:
 * the convention of every module's keys (query-cache answers and generations,
 * command buckets, daily event counts), there so a tenant's keys share a
 * cluster slot, here so an offboarding finds them all. SCAN rather than KEYS,
 * so Redis goes on serving meanwhile; UNLINK frees the memory off its main
 * thread. How many keys were deleted.
 */
export async function deleteTenantKeys(redis: Redis, tenant: TenantId): Promise<number> {
  let deleted = 0;
  const keys = redis.scanStream({ match: `*{${tenant}}*`, count: SCAN_BATCH });
  for await (const batch of keys as AsyncIterable<string[]>) {
    if (batch.length > 0) deleted += await redis.unlink(...batch);
  }
  return deleted;
}
