import { type Request, type Response, Router } from 'express';
import type { Principal } from '../../identity/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { administeredTenant, requirePlatformAdmin, tenantWithRole } from '../auth/authorize.ts';
import type { CommandGate } from '../commands/command-gate.ts';
import { problemFor } from '../http/problem.ts';
import { contextOf, principalOf } from '../http/request-context.ts';
import { type IdempotencyStore, requestHash, type StoredResponse } from '../idempotency/idempotency-store.ts';

/** docs/contracts.md §4: commands, by tenants for themselves and by the platform admin for a tenant. */
export function commandRoutes(deps: { gate: CommandGate; idempotency: IdempotencyStore }): Router {
  const router = Router();

  async function execute(req: Request, res: Response, principal: Principal, tenant: TenantId): Promise<void> {
    const { correlationId } = contextOf(res);
    const produce = async (): Promise<StoredResponse> => {
      try {
        const traceparent = req.get('traceparent');
        const { status, body } = await deps.gate.execute(req.body, {
          principal,
          tenant,
          correlationId,
          ...(traceparent ? { traceparent } : {}),
        });
        return { status, contentType: 'application/json', body: JSON.stringify(body) };
      } catch (error) {
        const problem = problemFor(error);
        if (problem.status >= 500) throw error;
        const { retryAfterSeconds, ...body } = problem;
        if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
        return {
          status: problem.status,
          contentType: 'application/problem+json',
          body: JSON.stringify(body),
        };
      }
    };
    const key = req.get('idempotency-key');
    const { response, replayed } =
      key === undefined
        ? { response: await produce(), replayed: false }
        : await deps.idempotency.run(tenant, key, requestHash(req.path, req.body), produce);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(response.status).type(response.contentType).send(response.body);
  }

  router.post('/api/v1/commands/execute', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    await execute(req, res, principal, tenantWithRole(principal, 'reader'));
  });

  router.post('/api/v1/tenants/:tenantId/commands/execute', async (req: Request, res: Response) => {
    const principal = principalOf(res);
    requirePlatformAdmin(principal);
    await execute(req, res, principal, administeredTenant(principal, String(req.params.tenantId)));
  });

  return router;
}
