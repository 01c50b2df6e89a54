import type { Request, Response } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * http_requests_total and http_request_duration_seconds, labelled by route
 * template, never raw path: what to call when a request starts; it returns
 * what records the request once the response is sent.
 */
export function requestMetrics(registry: Registry): (req: Request, res: Response) => () => void {
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return (req, res) => {
    const stop = duration.startTimer();
    return () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status_code: String(res.statusCode) };
      requests.inc(labels);
      stop(labels);
    };
  };
}
