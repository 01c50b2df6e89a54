import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import type { z } from 'zod';
import { inTenantTransaction } from '../../platform/database/index.ts';
import { ValidationError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { getOrder, listOrders } from './order-queries.ts';
import { projectionOf, queryParams, queryRequest, type QueryType } from './query-types.ts';
import { awaitPosition, readWatermark } from './read-your-writes.ts';
import { getTenant, getTenantStats } from './tenant-queries.ts';

/** What a caller asks of consistency: see the effect of the event at minPosition, waiting at most timeoutMs. */
export interface ReadYourWrites {
  readonly minPosition: number;
  readonly timeoutMs: number;
}

export interface QueryAnswer {
  readonly data: unknown;
  /** The position of the last event of this tenant the answering read model applied (0: none yet). */
  readonly position: number;
}

type Read = (tx: DatabaseTransactionConnection) => Promise<unknown>;

function parse<Output>(
  schema: z.ZodType<Output, z.ZodTypeDef, unknown>,
  input: unknown,
  prefix: string,
): Output {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    'invalid query',
    result.error.issues.map((issue) => ({
      path: `${prefix}/${issue.path.join('/')}`.replace(/\/$/, '') || '/',
      message: issue.message,
    })),
  );
}

/** Validates the params before anything waits or reads; returns the read to run. */
function prepare(type: QueryType, params: unknown, tenant: TenantId): Read {
  switch (type) {
    case 'GetOrder': {
      const valid = parse(queryParams.GetOrder, params, '/params');
      return (tx) => getOrder(tx, tenant, valid);
    }
    case 'ListOrders': {
      const valid = parse(queryParams.ListOrders, params, '/params');
      return (tx) => listOrders(tx, tenant, valid);
    }
    case 'GetTenantStats':
      parse(queryParams.GetTenantStats, params, '/params');
      return (tx) => getTenantStats(tx, tenant);
    case 'GetTenant':
      parse(queryParams.GetTenant, params, '/params');
      return (tx) => getTenant(tx, tenant);
  }
}

/**
 * The query side (CONTRACTS §5): each query type reads one read model, in a
 * transaction acting for the caller's tenant, never the event log.
 */
export class ReadModelQueries {
  constructor(private readonly pool: DatabasePool) {}

  async execute(tenant: TenantId, request: unknown, consistency?: ReadYourWrites): Promise<QueryAnswer> {
    const { type, params } = parse(queryRequest, request, '');
    const read = prepare(type, params, tenant);
    const projection = projectionOf[type];
    if (consistency) {
      await awaitPosition(this.pool, projection, tenant, consistency.minPosition, consistency.timeoutMs);
    }
    return inTenantTransaction(this.pool, tenant, async (tx) => {
      // Read in the same transaction as the data, so the position never claims more than the answer shows.
      const watermark = await readWatermark(tx, projection, tenant);
      return { data: await read(tx), position: watermark?.position ?? 0 };
    });
  }
}
