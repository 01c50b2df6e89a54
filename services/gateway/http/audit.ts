import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../../identity/index.ts';
import { type Credential, contextOf } from './request-context.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuditEntry {
  readonly action: string;
  readonly status: number;
  readonly principal: Principal | undefined;
  readonly credential: Credential | undefined;
  readonly target?: Readonly<Record<string, string>>;
}

/**
 * One `audit` line: who (the principal and how it proved itself), what, on
 * which target, and the outcome. Never a body: bodies carry new keys and
 * personal data. A line of its own, so a log pipeline can keep audit lines
 * longer than request lines.
 */
export function audit(res: Response, entry: AuditEntry): void {
  const { principal } = entry;
  contextOf(res).log.info(
    {
      audit: {
        action: entry.action,
        status: entry.status,
        actor: principal?.subject ?? 'anonymous',
        ...(principal?.kind === 'tenant' ? { tenant: principal.tenant } : {}),
        credential: entry.credential ?? 'none',
        ...(entry.target ? { target: entry.target } : {}),
      },
    },
    'audit',
  );
}

/** Audits every API call that may change something, whether it came from the console, a CLI or a script. */
export function auditChanges(req: Request, res: Response, next: NextFunction): void {
  // The console's own forms (sign-in, sign-out) audit themselves; everything else it does is an API call.
  if (SAFE_METHODS.has(req.method) || !req.path.startsWith('/api/')) return next();
  res.on('finish', () => {
    const context = contextOf(res);
    audit(res, {
      action: `${req.method} ${req.route ? `${req.baseUrl}${String(req.route.path)}` : req.path}`,
      status: res.statusCode,
      principal: context.principal,
      credential: context.credential,
      target: Object.fromEntries(Object.entries(req.params).map(([name, value]) => [name, String(value)])),
    });
  });
  next();
}
