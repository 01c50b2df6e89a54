import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { TenantDirectory } from '../../identity/index.ts';
import { GoneError } from '../../platform/errors/index.ts';
import { contextOf } from '../http/request-context.ts';

/**
 * An offboarded tenant's own callers get 410 Gone on every route: its API keys
 * are revoked, but a JWT its identity provider signed lives until it expires.
 * The directory lookup is the one the command gate makes anyway (cached).
 */
export function refuseOffboardedTenants(directory: TenantDirectory): RequestHandler {
  return async (_req: Request, res: Response, next: NextFunction) => {
    const { principal } = contextOf(res);
    if (principal?.kind === 'tenant' && (await directory.find(principal.tenant))?.status === 'offboarded') {
      throw new GoneError('this tenant was offboarded');
    }
    next();
  };
}
