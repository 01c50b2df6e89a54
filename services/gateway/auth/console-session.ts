import type { Request } from 'express';
import {
  type ApiKeys,
  type ConsoleSession,
  type ConsoleSessions,
  hasRole,
  type Principal,
} from '../../identity/index.ts';
import { cookieValue } from '../http/cookies.ts';

/** The console's session cookie: HttpOnly, SameSite=Strict, Secure over TLS (docs/console.md). */
export const SESSION_COOKIE = 'eventline_console';

export interface SessionAuthenticators {
  readonly sessions: ConsoleSessions;
  readonly apiKeys: ApiKeys;
}

export interface SessionOfRequest {
  readonly sessionId: string;
  readonly session: ConsoleSession;
  readonly principal: Principal;
}

/**
 * The console session a request's cookie names, and who it stands for now: a
 * tenant admin's key revoked, or no longer an admin, ends the session.
 */
export async function sessionOf(
  req: Request,
  deps: SessionAuthenticators,
): Promise<SessionOfRequest | undefined> {
  const sessionId = cookieValue(req, SESSION_COOKIE);
  if (sessionId === undefined) return undefined;
  const session = await deps.sessions.find(sessionId);
  if (!session) return undefined;
  if (session.holder.kind === 'platform-admin') {
    return { sessionId, session, principal: { kind: 'platform-admin', subject: 'platform-admin' } };
  }
  const principal = await deps.apiKeys.principalOfKeyId(session.holder.keyId);
  if (!principal || !hasRole(principal, 'admin')) return undefined;
  return { sessionId, session, principal };
}
