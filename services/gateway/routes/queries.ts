import { type Request, type Response, Router } from 'express';
import { tenantWithRole } from '../auth/authorize.ts';
import { sendProblem } from '../http/problem.ts';
import { principalOf } from '../http/request-context.ts';

/** CONTRACTS §5. Read models arrive with the projector; until then queries say so plainly. */
export function queryRoutes(): Router {
  const router = Router();
  router.post('/api/v1/queries/execute', (_req: Request, res: Response) => {
    tenantWithRole(principalOf(res), 'reader');
    sendProblem(res, {
      type: 'https://eventline.dev/problems/not-implemented',
      title: 'Not implemented',
      status: 501,
      detail: 'queries read the read models, which the projector service (not yet shipped) builds',
    });
  });
  return router;
}
