import { type Request, type Response, Router } from 'express';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { TenantDirectory } from '../../identity/index.ts';
import { DependencyUnavailableError, NotFoundError, ValidationError } from '../../platform/errors/index.ts';
import { type PersonalData, parseSealed, UnreadableSealedValueError } from '../../privacy/index.ts';
import { tenantInPath } from '../auth/authorize.ts';
import { principalOf } from '../http/request-context.ts';
import { parseWith } from './parse.ts';

/** What a downstream consumer sends: any JSON holding sealed values, e.g. a decoded Kafka record. */
export const openPersonalDataRequest = z.strictObject({
  data: z.unknown().refine((value) => value !== undefined, 'is required: the JSON holding sealed values'),
});

/** How many sealed values a JSON value holds, for the metric. */
function sealedValuesIn(value: unknown): number {
  if (parseSealed(value)) return 1;
  if (typeof value !== 'object' || value === null) return 0;
  return Object.values(value).reduce((sum: number, each: unknown) => sum + sealedValuesIn(each), 0);
}

/**
 * docs/contracts.md §11: opens the sealed personal data in JSON a downstream
 * consumer read elsewhere (a Kafka record, a dead letter, an export), for the
 * tenant in the path. The same right that sees history opened, the reader
 * role, or the platform admin; another tenant's credentials get the 404 of a
 * missing tenant. Counted by outcome, never with a value.
 */
export function personalDataRoutes(deps: {
  personalData: PersonalData | undefined;
  directory: TenantDirectory;
  registry: Registry;
}): Router {
  const router = Router();
  const values = new Counter({
    name: 'personal_data_values_opened_total',
    help: 'Sealed values the open endpoint was sent, by outcome: opened, or erased (their subject forgotten)',
    labelNames: ['outcome'],
    registers: [deps.registry],
  });

  router.post('/api/v1/tenants/:tenantId/personal-data/open', async (req: Request, res: Response) => {
    const tenant = tenantInPath(principalOf(res), String(req.params.tenantId), 'reader');
    if (!(await deps.directory.find(tenant))) throw new NotFoundError(`no tenant ${tenant}`);
    const { data } = parseWith(openPersonalDataRequest, req.body, 'request');
    if (!deps.personalData)
      throw new DependencyUnavailableError(
        'personal-data-kek',
        'this gateway holds no key-encryption key (PERSONAL_DATA_KEK), so it cannot open personal data',
      );
    let opened;
    try {
      opened = await deps.personalData.open(tenant, data);
    } catch (error) {
      if (!(error instanceof UnreadableSealedValueError)) throw error;
      throw new ValidationError('a sealed value does not open', [
        { path: `/data${error.path}`, message: 'altered, or sealed for another tenant or subject' },
      ]);
    }
    const sealed = sealedValuesIn(data);
    values.inc({ outcome: 'erased' }, opened.erased.length);
    values.inc({ outcome: 'opened' }, sealed - opened.erased.length);
    res.json({ data: opened.data, erased: opened.erased });
  });

  return router;
}
