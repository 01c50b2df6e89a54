import type { Request, Response } from 'express';
import {
  type Context,
  continueTrace,
  SpanKind,
  spanFailed,
  tracerFor,
} from '../../platform/telemetry/index.ts';
import { isOpsPath } from './ops-paths.ts';

const tracer = tracerFor('gateway');

/**
 * One SERVER span per request, continuing the caller's W3C `traceparent` when it
 * sends one, ended when the response closes; the context to run the request in
 * (the request stream too, so body parsing does not lose it). Probes and scrapes
 * are not traced: undefined for them.
 */
export function traceRequest(req: Request, res: Response): Context | undefined {
  if (isOpsPath(req.path)) return undefined;
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
  return context;
}
