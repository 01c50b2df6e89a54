import { type Request, type Response, Router } from 'express';
import { ValidationError } from '../../platform/errors/index.ts';
import type { CachedQueries } from '../../querycache/index.ts';
import type { ReadYourWrites } from '../../readmodels/index.ts';
import type { PersonalData } from '../../privacy/index.ts';
import { tenantWithRole } from '../auth/authorize.ts';
import { withPersonalData } from '../http/personal-data.ts';
import { principalOf } from '../http/request-context.ts';

const DEFAULT_WAIT_MS = 5_000;
/** A request may not hold a connection's worth of polling longer than this, whatever it asks. */
const MAX_WAIT_MS = 30_000;

function wholeNumber(value: string, header: string, min: number): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < min) {
    throw new ValidationError(`invalid ${header}`, [
      { path: `/headers/${header.toLowerCase()}`, message: `must be a whole number ≥ ${min}` },
    ]);
  }
  return Number(value);
}

/** X-Min-Position (and X-Wait-Timeout-Ms): read-your-writes; without it a query never waits. */
function consistencyOf(req: Request): ReadYourWrites | undefined {
  const minPosition = req.get('x-min-position');
  if (minPosition === undefined) return undefined;
  const timeout = req.get('x-wait-timeout-ms');
  return {
    minPosition: wholeNumber(minPosition, 'X-Min-Position', 1),
    timeoutMs: Math.min(
      timeout === undefined ? DEFAULT_WAIT_MS : wholeNumber(timeout, 'X-Wait-Timeout-Ms', 0),
      MAX_WAIT_MS,
    ),
  };
}

/**
 * docs/contracts.md §5: queries over the read models, for the caller's tenant. X-Cache
 * says how the cache took part; a stale answer (the read models unreachable)
 * also carries the standard Warning, so caches and clients that know it see it.
 */
export function queryRoutes(deps: {
  queries: CachedQueries;
  personalData: PersonalData | undefined;
}): Router {
  const router = Router();
  router.post('/api/v1/queries/execute', async (req: Request, res: Response) => {
    const tenant = tenantWithRole(principalOf(res), 'reader');
    const { answer, cache } = await deps.queries.execute(tenant, req.body, consistencyOf(req));
    if (cache) res.setHeader('X-Cache', cache);
    if (cache === 'stale') res.setHeader('Warning', '110 - "Response is Stale"');
    // Opened after the cache: Redis holds the sealed answer, never the personal data.
    res.json(await withPersonalData(deps.personalData, tenant, answer));
  });
  return router;
}
