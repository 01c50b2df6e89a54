import { type Request, type Response, Router } from 'express';
import { DependencyUnavailableError } from '../../platform/errors/index.ts';
import { requirePlatformAdmin } from '../auth/authorize.ts';
import { principalOf } from '../http/request-context.ts';
import type { ProjectionOperations } from '../operations/projection-operations.ts';

/** The operations, or a 503 saying what this gateway lacks for them. */
export function operationsOf(operations: ProjectionOperations | undefined): ProjectionOperations {
  if (!operations) {
    throw new DependencyUnavailableError(
      'operations',
      'projection operations are off on this gateway: set OPERATIONS_DATABASE_URL (docs/console.md)',
    );
  }
  return operations;
}

/** docs/contracts.md §12: the projections' lag, rebuilds and consistency check, for the platform admin. */
export function projectionRoutes(deps: { operations: ProjectionOperations | undefined }): Router {
  const router = Router();

  router.get('/api/v1/projections', async (_req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    const operations = operationsOf(deps.operations);
    const [projections, rebuilds] = await Promise.all([operations.lag(), operations.rebuilds()]);
    res.json({ projections, rebuilds });
  });

  router.post('/api/v1/projections/:name/rebuild', (req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    res.status(202).json(operationsOf(deps.operations).startRebuild(String(req.params.name)));
  });

  router.post('/api/v1/projections/:name/verify', async (req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    res.json(await operationsOf(deps.operations).verify(String(req.params.name)));
  });

  return router;
}
