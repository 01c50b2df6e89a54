import { type Request, type Response, Router } from 'express';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.ts';

/**
 * GET /health (liveness: answers without I/O) and GET /ready (200 ok|degraded,
 * 503 down): what a probe asks, on an ops port and on the gateway's API port.
 */
export function probeRoutes(readiness: Readiness): Router {
  const router = Router();
  router.get('/health', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req: Request, res: Response) => {
    const report = await readiness.report();
    res.status(report.status === 'down' ? 503 : 200).json(report);
  });
  return router;
}

/**
 * The probes and GET /metrics (Prometheus text), the same on every service's
 * ops port. /metrics stays off the gateway's API port, which an Ingress may
 * publish: what the metrics say (tenant counts, breakers) is for operators.
 */
export function opsRoutes(readiness: Readiness, registry: Registry): Router {
  const router = probeRoutes(readiness);
  router.get('/metrics', async (_req: Request, res: Response) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
