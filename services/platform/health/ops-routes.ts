import { type Request, type Response, Router } from 'express';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.ts';

/**
 * GET /health (liveness: answers without I/O), GET /ready (200 ok|degraded, 503
 * down) and GET /metrics (Prometheus text), the same on every service.
 */
export function opsRoutes(readiness: Readiness, registry: Registry): Router {
  const router = Router();
  router.get('/health', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req: Request, res: Response) => {
    const report = await readiness.report();
    res.status(report.status === 'down' ? 503 : 200).json(report);
  });
  router.get('/metrics', async (_req: Request, res: Response) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
