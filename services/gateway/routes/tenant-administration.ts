import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { EventStore, StreamListing, StreamPage } from '../../eventstore/index.ts';
import type { ApiKeys, TenantDirectory, TenantRecord } from '../../identity/index.ts';
import { NotFoundError, ValidationError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import type { PersonalData } from '../../privacy/index.ts';
import type { CommandQuota, DailyEventQuota } from '../../quotas/index.ts';
import { administeredTenant } from '../auth/authorize.ts';
import { principalOf } from '../http/request-context.ts';
import { historyRoutesAt } from './history.ts';
import { parseWith } from './parse.ts';

export interface TenantAdministration {
  readonly directory: TenantDirectory;
  readonly store: EventStore;
  readonly personalData: PersonalData | undefined;
  readonly apiKeys: ApiKeys;
  readonly quota: CommandQuota;
  readonly dailyEvents: DailyEventQuota;
  readonly streams: StreamListing;
}

export const streamListQuery = z.strictObject({
  type: z.string().min(1).max(100).optional(),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(50),
  cursor: z.string().min(1).max(500).optional(),
});

/** The tenant's record, for its platform admin or its own admin; another tenant's id answers 404. */
export async function administeredRecord(
  deps: Pick<TenantAdministration, 'directory'>,
  res: Response,
  pathTenant: string,
): Promise<TenantRecord> {
  const tenant = administeredTenant(principalOf(res), pathTenant);
  const record = await deps.directory.find(tenant);
  if (!record) throw new NotFoundError(`no tenant ${tenant}`);
  return record;
}

/** What the tenant used of its quota: commands it could send at once now, events stored today. */
export async function tenantUsage(deps: TenantAdministration, record: TenantRecord) {
  const [tokensLeft, eventsToday] = await Promise.all([
    deps.quota.tokensLeft(record.tenantId, record.quota),
    deps.dailyEvents.usedToday(record.tenantId),
  ]);
  return {
    commands: {
      perMinute: record.quota.commandsPerMinute,
      maxBurst: record.quota.maxBurst,
      availableNow: tokensLeft,
    },
    events: { perDay: record.quota.eventsPerDay, storedToday: eventsToday },
  };
}

export async function apiKeyList(deps: TenantAdministration, tenant: TenantId) {
  const keys = await deps.apiKeys.list(tenant);
  return {
    items: keys.map((key) => ({
      keyId: key.keyId,
      roles: key.roles,
      createdAt: key.createdAt.toISOString(),
      revokedAt: key.revokedAt?.toISOString() ?? null,
    })),
  };
}

/** A page of the tenant's streams, and how many it has of each aggregate type. */
export async function streamList(deps: TenantAdministration, tenant: TenantId, query: unknown) {
  const { type, limit, cursor } = parseWith(streamListQuery, query, 'query', '/query');
  const [types, page] = await Promise.all([
    deps.streams.countsByType(tenant),
    deps.streams.page(tenant, {
      limit,
      ...(type === undefined ? {} : { aggregateType: type }),
      ...(cursor === undefined ? {} : { cursor }),
    }),
  ]);
  if (!page) {
    throw new ValidationError('invalid query', [
      { path: '/query/cursor', message: 'is not a cursor this API gave out' },
    ]);
  }
  return { types, ...streamPageView(page) };
}

function streamPageView(page: StreamPage) {
  return {
    items: page.items.map((stream) => ({
      aggregateType: stream.aggregateType,
      aggregateId: stream.aggregateId,
      version: stream.version,
      createdAt: stream.createdAt.toISOString(),
      updatedAt: stream.updatedAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

/**
 * docs/contracts.md §12: what the admin console shows of a tenant, for its
 * platform admin or its own admin — its keys, its use of its quota, its streams
 * and their history (the platform admin reads personal data sealed, as stored).
 */
export function tenantAdministrationRoutes(deps: TenantAdministration): Router {
  const router = Router();

  router.get('/api/v1/tenants/:tenantId/api-keys', async (req: Request, res: Response) => {
    const record = await administeredRecord(deps, res, String(req.params.tenantId));
    res.json(await apiKeyList(deps, record.tenantId));
  });

  router.get('/api/v1/tenants/:tenantId/usage', async (req: Request, res: Response) => {
    const record = await administeredRecord(deps, res, String(req.params.tenantId));
    res.json(await tenantUsage(deps, record));
  });

  router.get('/api/v1/tenants/:tenantId/streams', async (req: Request, res: Response) => {
    const record = await administeredRecord(deps, res, String(req.params.tenantId));
    res.json(await streamList(deps, record.tenantId, req.query));
  });

  router.use(
    historyRoutesAt('/api/v1/tenants/:tenantId', deps, (req, res) => {
      const principal = principalOf(res);
      return {
        tenant: administeredTenant(principal, String(req.params.tenantId)),
        opensPersonalData: principal.kind === 'tenant',
      };
    }),
  );

  return router;
}
