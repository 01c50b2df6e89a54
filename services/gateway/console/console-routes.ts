import { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import { NotFoundError } from '../../platform/errors/index.ts';
import { problemFor } from '../http/problem.ts';
import { contextOf } from '../http/request-context.ts';
import type { DeadLetterOperations } from '../operations/dead-letter-operations.ts';
import type { KafkaOperations } from '../operations/kafka-operations.ts';
import type { ProjectionOperations } from '../operations/projection-operations.ts';
import type { RelayOperations } from '../operations/relay-operations.ts';
import type { HistoryDependencies } from '../routes/history.ts';
import type { TenantAdministration } from '../routes/tenant-administration.ts';
import { sessionOf } from '../auth/console-session.ts';
import { consoleAssets } from './assets.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { consoleSecurityHeaders } from './security-headers.ts';
import { type SessionRouteDependencies, sessionRoutes } from './session-routes.ts';
import { deadLetterPages } from './dead-letter-pages.ts';
import { kafkaPages } from './kafka-pages.ts';
import { projectionPages } from './projection-pages.ts';
import { relayPages } from './relay-pages.ts';
import { streamPages } from './stream-pages.ts';
import { tenantPages } from './tenant-pages.ts';
import { setViewer, viewerOf } from './viewer.ts';

export type ConsoleDependencies = SessionRouteDependencies &
  TenantAdministration &
  HistoryDependencies & {
    readonly operations: ProjectionOperations | undefined;
    readonly deadLetters: DeadLetterOperations | undefined;
    readonly relay: RelayOperations | undefined;
    readonly kafka: KafkaOperations | undefined;
  };

/**
 * The admin console (docs/console.md): pages rendered here from the same
 * functions as the admin API's answers; every action a page offers is a call
 * its script makes to that API, with the session cookie and CSRF token.
 */
export function consoleRoutes(deps: ConsoleDependencies): RequestHandler {
  const router = Router();
  router.use('/admin', consoleSecurityHeaders);
  router.use(consoleAssets());
  router.use(sessionRoutes(deps));

  // Every other console page needs a session: without one, GETs go to sign-in.
  router.use('/admin', async (req: Request, res: Response, next: NextFunction) => {
    const found = await sessionOf(req, deps);
    if (!found) {
      if (req.method === 'GET' || req.method === 'HEAD') res.redirect(303, '/admin/login');
      else
        res
          .status(401)
          .type('html')
          .send(
            page(
              'Signed out',
              html`<h1>Signed out</h1>
                <p><a href="/admin/login">Sign in</a></p>`,
            ).text,
          );
      return;
    }
    const context = contextOf(res);
    context.principal = found.principal;
    context.credential = 'console-session';
    setViewer(res, { principal: found.principal, csrfToken: found.session.csrfToken });
    next();
  });

  router.get('/admin', (_req: Request, res: Response) => {
    const { principal } = viewerOf(res);
    res.redirect(
      303,
      principal.kind === 'platform-admin' ? '/admin/tenants' : `/admin/tenants/${principal.tenant}`,
    );
  });
  router.use(tenantPages(deps));
  router.use(streamPages(deps));
  router.use(projectionPages(deps));
  router.use(deadLetterPages(deps));
  router.use(relayPages(deps));
  router.use(kafkaPages(deps));

  router.use('/admin', (_req: Request, res: Response) => {
    renderProblem(res, problemFor(new NotFoundError('no such page')));
  });
  router.use('/admin', (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const problem = problemFor(error);
    if (problem.status >= 500) contextOf(res).log.error({ err: error }, 'console page failed');
    renderProblem(res, problem);
  });
  // Every console path is under /admin: the API's requests skip the router's thirty-odd layers,
  // which each of them walked before (express's share of the gateway's busy time 7.0 % -> 5.5 %).
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/admin' || req.path.startsWith('/admin/')) router(req, res, next);
    else next();
  };
}

/** An error as a page: the same mapping as the API's problem+json, shown to a person. */
function renderProblem(res: Response, problem: ReturnType<typeof problemFor>): void {
  let viewer;
  try {
    viewer = viewerOf(res);
  } catch {
    viewer = undefined;
  }
  const issues = problem.errors ?? [];
  const body = html`<h1>${problem.title}</h1>
    <p role="alert">${problem.status === 404 ? 'There is no such page.' : problem.detail}</p>
    ${
      issues.length > 0
        ? html`<ul>
            ${issues.map((issue) => html`<li><code>${issue.path}</code>: ${issue.message}</li>`)}
          </ul>`
        : null
    }`;
  if (problem.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(problem.retryAfterSeconds));
  res
    .status(problem.status)
    .type('html')
    .send(page(problem.title, body, viewer).text);
}
