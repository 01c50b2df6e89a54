import { type Request, type Response, Router } from 'express';
import { forgetSubjectPayload, offboardTenantPayload } from '../../domain/tenants/index.ts';
import { type ErasureDeps, forgetSubject, offboardTenant } from '../../erasure/index.ts';
import type { TenantDirectory } from '../../identity/index.ts';
import { GoneError, NotFoundError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { administeredTenant } from '../auth/authorize.ts';
import { contextOf, principalOf } from '../http/request-context.ts';
import { parseWith } from './parse.ts';

/** docs/contracts.md §3 and docs/privacy.md: forgetting a person, offboarding a tenant. */
export function erasureRoutes(deps: { erasure: ErasureDeps; directory: TenantDirectory }): Router {
  const router = Router();

  const existing = async (tenant: TenantId) => {
    const record = await deps.directory.find(tenant);
    if (!record) throw new NotFoundError(`no tenant ${tenant}`);
    return record;
  };

  const requestOf = (req: Request, res: Response, tenant: TenantId) => {
    const traceparent = req.get('traceparent');
    return {
      tenant,
      requestedBy: principalOf(res).subject,
      correlationId: contextOf(res).correlationId,
      ...(traceparent ? { traceparent } : {}),
    };
  };

  router.post('/api/v1/tenants/:tenantId/subjects/:subject/forget', async (req: Request, res: Response) => {
    const tenant = administeredTenant(principalOf(res), String(req.params.tenantId));
    const { subject } = parseWith(forgetSubjectPayload, { subject: req.params.subject }, 'subject', '/path');
    if ((await existing(tenant)).status === 'offboarded') throw new GoneError('this tenant was offboarded');
    res.json(await forgetSubject(deps.erasure, { ...requestOf(req, res, tenant), subject }));
  });

  router.post('/api/v1/tenants/:tenantId/offboard', async (req: Request, res: Response) => {
    const tenant = administeredTenant(principalOf(res), String(req.params.tenantId));
    const { reason } = parseWith(offboardTenantPayload, req.body ?? {}, 'offboarding request');
    await existing(tenant);
    res.json(
      await offboardTenant(deps.erasure, {
        ...requestOf(req, res, tenant),
        ...(reason === undefined ? {} : { reason }),
      }),
    );
  });

  return router;
}
