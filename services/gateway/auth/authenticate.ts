import type { NextFunction, Request, Response } from 'express';
import {
  type AdminToken,
  type ApiKeys,
  type ConsoleSessions,
  isSessionCsrfToken,
  type JwtVerifier,
  type Principal,
} from '../../identity/index.ts';
import { ForbiddenError, UnauthenticatedError } from '../../platform/errors/index.ts';
import { type Credential, contextOf } from '../http/request-context.ts';
import { sessionOf } from './console-session.ts';

export interface Authenticators {
  readonly adminToken: AdminToken;
  readonly apiKeys: ApiKeys;
  readonly jwt: JwtVerifier;
  readonly sessions: ConsoleSessions;
}

/** Methods that change nothing: a console session's call needs no CSRF token for these. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function principalFrom(
  req: Request,
  authenticators: Authenticators,
): Promise<{ principal: Principal; credential: Credential } | undefined> {
  const { adminToken, apiKeys, jwt } = authenticators;
  const apiKey = req.get('x-api-key');
  if (apiKey !== undefined) {
    const principal = await apiKeys.authenticate(apiKey);
    return principal && { principal, credential: 'api-key' };
  }
  const authorization = req.get('authorization');
  if (authorization === undefined) return consoleSession(req, authenticators);
  const match = /^Bearer ([^\s]+)$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  if (adminToken.matches(match[1])) {
    return { principal: { kind: 'platform-admin', subject: 'platform-admin' }, credential: 'admin-token' };
  }
  const principal = await jwt.verify(match[1]);
  return principal && { principal, credential: 'jwt' };
}

/**
 * The admin console calls this API with its session cookie. The cookie is
 * SameSite=Strict, and every state-changing call must also carry the session's
 * CSRF token in X-CSRF-Token, which another site's page can neither read nor send.
 */
async function consoleSession(
  req: Request,
  authenticators: Authenticators,
): Promise<{ principal: Principal; credential: Credential } | undefined> {
  const found = await sessionOf(req, authenticators);
  if (!found) return undefined;
  if (!SAFE_METHODS.has(req.method) && !isSessionCsrfToken(found.session, req.get('x-csrf-token'))) {
    throw new ForbiddenError('a console session must send its CSRF token in X-CSRF-Token');
  }
  return { principal: found.principal, credential: 'console-session' };
}

/** Establishes the caller from X-API-Key, a bearer token or a console session; anything else is a 401. */
export function authenticate(authenticators: Authenticators) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const found = await principalFrom(req, authenticators);
    if (!found) {
      throw new UnauthenticatedError('send a valid X-API-Key, or Authorization: Bearer <token>');
    }
    const context = contextOf(res);
    context.principal = found.principal;
    context.credential = found.credential;
    next();
  };
}
