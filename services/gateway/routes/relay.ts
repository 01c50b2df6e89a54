import { type Request, type Response, Router } from 'express';
import { DependencyUnavailableError } from '../../platform/errors/index.ts';
import { requirePlatformAdmin, tenantInPath } from '../auth/authorize.ts';
import { principalOf } from '../http/request-context.ts';
import type { RelayOperations } from '../operations/relay-operations.ts';

/** The relay operations, or a 503 saying what this gateway lacks for them. */
export function relayOf(operations: RelayOperations | undefined): RelayOperations {
  if (!operations) {
    throw new DependencyUnavailableError(
      'operations',
      'relay operations are off on this gateway: set OPERATIONS_DATABASE_URL (docs/console.md)',
    );
  }
  return operations;
}

/** docs/contracts.md §12: the outbox's backlog, lanes and halted tenants, for the platform admin. */
export function relayRoutes(deps: { relay: RelayOperations | undefined }): Router {
  const router = Router();

  router.get('/api/v1/relay', async (_req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    res.json(await relayOf(deps.relay).status());
  });

  router.post('/api/v1/relay/halted-tenants/:tenantId/resume', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    requirePlatformAdmin(principal);
    const tenant = tenantInPath(principal, String(req.params.tenantId), 'admin');
    res.json(await relayOf(deps.relay).resume(tenant));
  });

  return router;
}
