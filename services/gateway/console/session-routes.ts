import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type CookieOptions, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import {
  type AdminToken,
  type ApiKeys,
  type ConsoleSessions,
  hasRole,
  isSessionCsrfToken,
  type Principal,
  type SessionHolder,
} from '../../identity/index.ts';
import { SESSION_COOKIE, sessionOf } from '../auth/console-session.ts';
import { audit } from '../http/audit.ts';
import { cookieValue } from '../http/cookies.ts';
import type { Credential } from '../http/request-context.ts';
import { html } from './html.ts';
import { page } from './layout.ts';

/** The login form's own CSRF token (double submit): a cookie and a field that must match. */
const LOGIN_COOKIE = 'eventline_console_login';
const LOGIN_FORM_MAX_AGE_MS = 10 * 60_000;

export interface SessionRouteDependencies {
  readonly sessions: ConsoleSessions;
  readonly apiKeys: ApiKeys;
  readonly adminToken: AdminToken;
}

/** Secure whenever the browser reached us over TLS, directly or through a proxy that terminated it. */
function cookieOptions(req: Request, extra: CookieOptions = {}): CookieOptions {
  const tls = req.secure || req.get('x-forwarded-proto') === 'https';
  return { httpOnly: true, sameSite: 'strict', secure: tls, path: '/', ...extra };
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

const loginForm = z.object({ credential: z.string().trim().max(512), loginToken: z.string().max(64) });
const logoutForm = z.object({ csrf: z.string().max(64) });

function loginPage(req: Request, res: Response, status: number, problem?: string): void {
  const loginToken = randomBytes(24).toString('base64url');
  res.cookie(LOGIN_COOKIE, loginToken, cookieOptions(req, { maxAge: LOGIN_FORM_MAX_AGE_MS, path: '/admin' }));
  res
    .status(status)
    .type('html')
    .send(
      page(
        'Sign in',
        html`<h1>Sign in</h1>
          <form method="post" action="/admin/login" class="login">
            <input type="hidden" name="loginToken" value="${loginToken}" />
            <label for="credential">Admin token, or a tenant admin's API key</label>
            <input id="credential" name="credential" type="password" autocomplete="off" required />
            <button type="submit">Sign in</button>
          </form>
          ${problem ? html`<p class="problem" role="alert">${problem}</p>` : null}
          <p>The token or key is checked once and never kept: the browser gets a session cookie instead.</p>`,
      ).text,
    );
}

/** Who a credential typed into the sign-in form proves to be, if anyone the console admits. */
async function signIn(
  deps: SessionRouteDependencies,
  credential: string,
): Promise<{ holder: SessionHolder; principal: Principal; credential: Credential } | undefined> {
  if (credential.startsWith('el_')) {
    const principal = await deps.apiKeys.authenticate(credential);
    if (principal?.kind !== 'tenant' || !hasRole(principal, 'admin')) return undefined;
    const keyId = principal.subject.replace(/^api-key:/, '');
    return { holder: { kind: 'api-key', keyId }, principal, credential: 'api-key' };
  }
  if (!deps.adminToken.matches(credential)) return undefined;
  return {
    holder: { kind: 'platform-admin' },
    principal: { kind: 'platform-admin', subject: 'platform-admin' },
    credential: 'admin-token',
  };
}

/**
 * Signing in exchanges the platform admin token, or an API key with the admin
 * role, for a session cookie (HttpOnly, SameSite=Strict, Secure over TLS);
 * neither is kept, nor ever put in a page. Signing out ends the session on the server.
 */
export function sessionRoutes(deps: SessionRouteDependencies): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  router.get('/admin/login', async (req: Request, res: Response) => {
    if (await sessionOf(req, deps)) {
      res.redirect(303, '/admin');
      return;
    }
    loginPage(req, res, 200);
  });

  router.post('/admin/login', form, async (req: Request, res: Response) => {
    const parsed = loginForm.safeParse(req.body);
    if (!parsed.success || !sameToken(parsed.data.loginToken, cookieValue(req, LOGIN_COOKIE))) {
      loginPage(req, res, 403, 'The sign-in form expired; please try again.');
      return;
    }
    const signedIn = await signIn(deps, parsed.data.credential);
    if (!signedIn) {
      audit(res, { action: 'console sign-in', status: 401, principal: undefined, credential: undefined });
      loginPage(req, res, 401, "That is neither the admin token nor an API key with a tenant's admin role.");
      return;
    }
    const { sessionId } = await deps.sessions.open(signedIn.holder);
    audit(res, { action: 'console sign-in', status: 303, ...signedIn });
    res.clearCookie(LOGIN_COOKIE, cookieOptions(req, { path: '/admin' }));
    res.cookie(SESSION_COOKIE, sessionId, cookieOptions(req));
    res.redirect(303, '/admin');
  });

  router.post('/admin/logout', form, async (req: Request, res: Response) => {
    const found = await sessionOf(req, deps);
    const parsed = logoutForm.safeParse(req.body);
    if (found && parsed.success && isSessionCsrfToken(found.session, parsed.data.csrf)) {
      await deps.sessions.close(found.sessionId);
      audit(res, {
        action: 'console sign-out',
        status: 303,
        principal: found.principal,
        credential: 'console-session',
      });
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.redirect(303, '/admin/login');
  });

  return router;
}
