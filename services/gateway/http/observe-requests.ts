import type { NextFunction, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { type Logger, runInContext } from '../../platform/telemetry/index.ts';
import { correlate, requestLines } from './correlation.ts';
import { requestMetrics } from './request-metrics.ts';
import { traceRequest } from './trace-requests.ts';

/**
 * The span, the metrics, the correlation id and the log line of every request,
 * in one middleware with one `finish` listener (profiled: each middleware is a
 * pass through express's router, and the three used to be separate).
 */
export function observeRequests(log: Logger, registry: Registry) {
  const measure = requestMetrics(registry);
  const lines = requestLines(log);
  return (req: Request, res: Response, next: NextFunction): void => {
    const traced = traceRequest(req, res);
    // Inside the span's context, so the request's log line carries its trace and span ids.
    const observe = (): void => {
      const recordMetrics = measure(req, res);
      const writeLogLine = correlate(log, lines, req, res);
      res.on('finish', () => {
        recordMetrics();
        writeLogLine();
      });
      next();
    };
    if (traced) runInContext(traced, [req, res], observe);
    else observe();
  };
}
