import type { NextFunction, Request, Response } from 'express';
import type { AdminToken, ApiKeys, JwtVerifier, Principal } from '../../identity/index.ts';
import { UnauthenticatedError } from '../../platform/errors/index.ts';
import { contextOf } from '../http/request-context.ts';

export interface Authenticators {
  readonly adminToken: AdminToken;
  readonly apiKeys: ApiKeys;
  readonly jwt: JwtVerifier;
}

async function principalFrom(
  req: Request,
  { adminToken, apiKeys, jwt }: Authenticators,
): Promise<Principal | undefined> {
  const apiKey = req.get('x-api-key');
  if (apiKey !== undefined) return apiKeys.authenticate(apiKey);
  const authorization = req.get('authorization');
  if (authorization === undefined) return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  if (adminToken.matches(match[1])) return { kind: 'platform-admin', subject: 'platform-admin' };
  return jwt.verify(match[1]);
}

/** Establishes the caller from X-API-Key or a bearer token; anything else is a 401. */
export function authenticate(authenticators: Authenticators) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const principal = await principalFrom(req, authenticators);
    if (!principal) {
      throw new UnauthenticatedError('send a valid X-API-Key, or Authorization: Bearer <token>');
    }
    const context = contextOf(res);
    context.principal = principal;
    next();
  };
}
