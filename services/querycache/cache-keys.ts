import { createHash } from 'node:crypto';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { PreparedQuery } from '../readmodels/index.ts';

export const DEFAULT_CACHE_KEY_PREFIX = 'eventline:qc:';

/** JSON with object keys sorted at every depth, so the same question always spells the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The tenant is in every key, in braces: a hash tag, so a tenant's generation and
 * its answers share a cluster slot and one script can touch both.
 */
export function generationKey(prefix: string, tenant: TenantId, projection: string): string {
  return `${prefix}{${tenant}}:gen:${projection}`;
}

/** The answer's key: tenant, query type, and a digest of the canonical params (which hold the cursor). */
export function answerKey(prefix: string, tenant: TenantId, query: PreparedQuery): string {
  const digest = createHash('sha256').update(canonicalJson(query.params)).digest('base64url');
  return `${prefix}{${tenant}}:q:${query.type}:${digest}`;
}
