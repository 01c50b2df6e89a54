import { randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { CommandHandler } from '../../commands/index.ts';
import { createTenantPayload } from '../../domain/tenants/index.ts';
import {
  type ApiKeys,
  type IssuedApiKey,
  type TenantDirectory,
  type TenantRecord,
  tenantRoles,
} from '../../identity/index.ts';
import { NotFoundError, ValidationError } from '../../platform/errors/index.ts';
import { tenantId } from '../../platform/tenancy/index.ts';
import { administeredTenant, requirePlatformAdmin } from '../auth/authorize.ts';
import { contextOf, principalOf } from '../http/request-context.ts';
import { parseWith } from './parse.ts';

export const tenantListQuery = z.strictObject({
  search: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(20),
  cursor: z.string().min(1).max(500).optional(),
});

/** A tenant as the API shows it: the directory's record, without what is internal. */
function tenantView(record: TenantRecord) {
  return {
    tenantId: record.tenantId,
    name: record.name,
    plan: record.plan,
    status: record.status,
    suspensionReason: record.suspensionReason,
    quota: record.quota,
    version: record.version,
  };
}

export const newApiKeyRequest = z
  .object({ roles: z.array(z.enum(tenantRoles)).min(1, 'name at least one role').max(3) })
  .strict();

/** docs/contracts.md §3: tenants and their API keys. */
export function tenantRoutes(deps: {
  handler: CommandHandler;
  directory: TenantDirectory;
  apiKeys: ApiKeys;
}): Router {
  const router = Router();

  router.post('/api/v1/tenants', async (req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    const payload = parseWith(createTenantPayload, req.body, 'tenant');
    const tenant = tenantId(randomUUID());
    // The tenant's events, its directory row and its first key commit together, or none of them does.
    let issued: IssuedApiKey | undefined;
    // With tracing off, the caller's own traceparent is what the event carries to Kafka.
    const traceparent = req.get('traceparent');
    await deps.handler.handle(
      {
        commandId: randomUUID(),
        type: 'CreateTenant',
        aggregateId: tenant,
        payload,
        tenant,
        userId: 'platform-admin',
        correlationId: contextOf(res).correlationId,
        ...(traceparent ? { traceparent } : {}),
      },
      undefined,
      {
        alongside: async (tx) => {
          issued = await deps.apiKeys.issue(tx, tenant, tenantRoles);
        },
      },
    );
    if (!issued) throw new Error(`tenant ${tenant} was created without its first API key`);
    res
      .status(201)
      .json({ tenantId: tenant, apiKey: issued.apiKey, keyId: issued.keyId, roles: issued.roles });
  });

  router.get('/api/v1/tenants', async (req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    const query = parseWith(tenantListQuery, req.query, 'query', '/query');
    const page = await deps.directory.list(query);
    if (!page) {
      throw new ValidationError('invalid query', [
        { path: '/query/cursor', message: 'is not a cursor this API gave out' },
      ]);
    }
    res.json({ items: page.items.map(tenantView), nextCursor: page.nextCursor });
  });

  router.get('/api/v1/tenants/:tenantId', async (req: Request, res: Response) => {
    const tenant = administeredTenant(principalOf(res), String(req.params.tenantId));
    const record = await deps.directory.find(tenant);
    if (!record) throw new NotFoundError(`no tenant ${tenant}`);
    res.json(tenantView(record));
  });

  router.post('/api/v1/tenants/:tenantId/api-keys', async (req: Request, res: Response) => {
    const tenant = administeredTenant(principalOf(res), String(req.params.tenantId));
    if (!(await deps.directory.find(tenant))) throw new NotFoundError(`no tenant ${tenant}`);
    const { roles } = parseWith(newApiKeyRequest, req.body, 'API key request');
    const issued = await deps.apiKeys.issueFor(tenant, [...new Set(roles)]);
    res.status(201).json({ keyId: issued.keyId, apiKey: issued.apiKey, roles: issued.roles });
  });

  router.delete('/api/v1/tenants/:tenantId/api-keys/:keyId', async (req: Request, res: Response) => {
    const tenant = administeredTenant(principalOf(res), String(req.params.tenantId));
    await deps.apiKeys.revoke(tenant, String(req.params.keyId));
    res.status(204).end();
  });

  return router;
}
