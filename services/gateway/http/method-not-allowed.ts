import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MethodNotAllowedError } from '../../platform/errors/index.ts';

/**
 * A request for a path the API has, with a method it does not take, answers
 * 405 with `Allow` (RFC 9110 §15.5.6) instead of the 404 a fall-through would
 * give; OPTIONS answers 204 with `Allow`. The paths and their methods are the
 * OpenAPI document's, so the two cannot disagree.
 */
export function methodNotAllowed(paths: Readonly<Record<string, object>>): RequestHandler {
  const routes = Object.entries(paths).map(([template, operations]) => {
    const methods = Object.keys(operations).map((method) => method.toUpperCase());
    return {
      template,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      allowed: methods.includes('GET') ? [...methods, 'HEAD'] : methods,
    };
  });
  // A path without parameters is found by a look-up, not by trying every pattern before it (the
  // command route's was the 25th of 35, on every command); as OpenAPI matches, it wins over a template.
  const exact = new Map(
    routes.filter(({ template }) => !template.includes('{')).map((route) => [route.template, route]),
  );
  const templated = routes.filter(({ template }) => template.includes('{'));
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const route = exact.get(path) ?? templated.find((candidate) => candidate.pattern.test(path));
    if (!route || route.allowed.includes(req.method)) return next();
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', [...route.allowed, 'OPTIONS'].join(', '));
      res.status(204).end();
      return;
    }
    throw new MethodNotAllowedError(`${req.method} is not a method of ${path}`, route.allowed);
  };
}
