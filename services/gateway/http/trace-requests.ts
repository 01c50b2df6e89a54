import type { NextFunction, Request, Response } from 'express';
import {
  continueTrace,
  runInContext,
  SpanKind,
  spanFailed,
  tracerFor,
} from '../../platform/telemetry/index.ts';

const tracer = tracerFor('gateway');
const OPS_PATHS = new Set(['/health', '/ready']);

/**
 * One SERVER span per request, continuing the caller's W3C `traceparent` when it
 * sends one; everything the request does runs with it active (the request
 * stream too, so body parsing does not lose it). Probes and scrapes are not traced.
 */
export function traceRequests() {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (OPS_PATHS.has(req.path)) return next();
    const { span, context } = continueTrace(
      tracer,
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } },
      req.headers,
    );
    res.once('close', () => {
      // Known only once routing ran: the template, never the raw path (ids would explode the names).
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : undefined;
      if (route) span.updateName(`${req.method} ${route}`).setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (!res.writableFinished) spanFailed(span, 'the client closed the connection first');
      else if (res.statusCode >= 500) spanFailed(span, `answered ${res.statusCode}`);
      span.end();
    });
    runInContext(context, [req, res], next);
  };
}
