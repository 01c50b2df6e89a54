import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { type Checkpoint, checkpointOfCursor, type EventStore, START } from '../../eventstore/index.ts';
import type { TenantDirectory } from '../../identity/index.ts';
import { DependencyUnavailableError, NotFoundError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { type PersonalData, sealedPrefix, type SubjectKeys } from '../../privacy/index.ts';
import type { ReadModelRows } from '../../readmodels/index.ts';
import { administeredTenant } from '../auth/authorize.ts';
import { writeExport } from '../exports/write-export.ts';
import { ClientGoneError, NdjsonResponse } from '../http/ndjson-response.ts';
import { contextOf, principalOf } from '../http/request-context.ts';
import { parseWith } from './parse.ts';

export const exportQuery = z.strictObject({
  after: z
    .string()
    .optional()
    .transform((text, context): Checkpoint => {
      if (text === undefined) return START;
      const point = checkpointOfCursor(text);
      if (point) return point;
      context.addIssue({
        code: 'custom',
        message: 'must be the cursor of an event line (20 digits, "-", 20 digits)',
      });
      return z.NEVER;
    }),
});

export const subjectPath = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

export interface ExportDependencies {
  readonly store: EventStore;
  readonly directory: TenantDirectory;
  readonly personalData: PersonalData | undefined;
  /** Undefined without PERSONAL_DATA_KEK: nothing was sealed here to find. */
  readonly subjectKeys: SubjectKeys | undefined;
  readonly readModelRows: ReadModelRows;
}

/**
 * docs/contracts.md §6.1: a tenant's events and read-model rows, or one
 * subject's, as NDJSON, for the platform admin or the tenant's own admin;
 * another tenant's credentials get the 404 of a missing tenant.
 */
export function exportRoutes(deps: ExportDependencies): Router {
  const router = Router();

  /** The tenant in the path, once the caller may export it and it exists. */
  async function exportedTenant(req: Request, res: Response): Promise<TenantId> {
    const tenant = administeredTenant(principalOf(res), String(req.params.tenantId));
    if (!(await deps.directory.find(tenant))) throw new NotFoundError(`no tenant ${tenant}`);
    return tenant;
  }

  /** Streams the export; what fails before the first byte is a problem+json answer, after it a cut stream. */
  async function stream(res: Response, tenant: TenantId, after: Checkpoint, holding?: readonly string[]) {
    const upTo = await deps.store.lastCommitted(tenant);
    const out = new NdjsonResponse(res);
    out.begin();
    try {
      await writeExport(
        { store: deps.store, rows: deps.readModelRows, personalData: deps.personalData },
        { tenant, after, upTo, ...(holding ? { holding } : {}) },
        out,
      );
      out.end();
    } catch (error) {
      if (error instanceof ClientGoneError) return;
      contextOf(res).log.error({ err: error }, 'export failed mid-stream; cut short');
      out.abort();
    }
  }

  router.get('/api/v1/tenants/:tenantId/export', async (req: Request, res: Response) => {
    const tenant = await exportedTenant(req, res);
    const { after } = parseWith(exportQuery, req.query, 'query', '/query');
    await stream(res, tenant, after);
  });

  router.get('/api/v1/tenants/:tenantId/subjects/:subject/export', async (req: Request, res: Response) => {
    const tenant = await exportedTenant(req, res);
    const subject = parseWith(subjectPath, req.params.subject, 'subject', '/subject');
    const { after } = parseWith(exportQuery, req.query, 'query', '/query');
    if (!deps.subjectKeys)
      throw new DependencyUnavailableError(
        'personal-data-kek',
        'this gateway holds no key-encryption key (PERSONAL_DATA_KEK), so it cannot find or open personal data',
      );
    const keyIds = await deps.subjectKeys.keyIdsOf(tenant, subject);
    await stream(res, tenant, after, keyIds.map(sealedPrefix));
  });

  return router;
}
