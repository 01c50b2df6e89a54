import type { Response } from 'express';
import type { Principal } from '../../identity/index.ts';
import { UnauthenticatedError } from '../../platform/errors/index.ts';
import type { Logger } from '../../platform/telemetry/index.ts';

/** How the caller proved who it is; the audit log says which. */
export type Credential = 'api-key' | 'jwt' | 'admin-token' | 'console-session';

/** What the gateway knows about a request as it moves through the middleware. */
export interface RequestContext {
  readonly correlationId: string;
  readonly log: Logger;
  principal?: Principal;
  credential?: Credential;
}

const KEY = 'eventline';

export function setContext(res: Response, context: RequestContext): void {
  res.locals[KEY] = context;
}

export function contextOf(res: Response): RequestContext {
  return res.locals[KEY] as RequestContext;
}

/** The verified caller; routes behind authentication always have one. */
export function principalOf(res: Response): Principal {
  const { principal } = contextOf(res);
  if (!principal) throw new UnauthenticatedError('credentials are required');
  return principal;
}
