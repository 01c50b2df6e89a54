import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import type { z } from 'zod';
import type { EventStore } from '../../eventstore/index.ts';
import { NotFoundError, ValidationError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { getOrderAnswer, listOrders } from './order-queries.ts';
import { projectionOf, queryParams, queryRequest, type QueryType } from './query-types.ts';
import {
  AbsentAtWatermark,
  NO_WATERMARK,
  readReflecting,
  type ResolvedConsistency,
  resolvePosition,
  tenantWatermark,
  type Watermark,
} from './read-your-writes.ts';
import type { WatermarkWaits } from './watermark-waits.ts';
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

function parse<Output>(schema: z.ZodType<Output, unknown>, input: unknown, prefix: string): Output {
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

/** The answer, and the watermark of the read model it was read at. */
export interface WatermarkedAnswer {
  readonly answer: QueryAnswer;
  readonly watermark: Watermark;
}

/** A query validated and ready to read: what it asks, of which read model, and how it is answered. */
export interface PreparedQuery {
  readonly type: QueryType;
  /** The params as validated, defaults filled in: one question, one shape. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The projection whose watermark the answer reflects. */
  readonly projection: string;
  /** Reads the answer and the watermark, never a watermark newer than what the answer shows. */
  readonly answer: (pool: DatabasePool) => Promise<WatermarkedAnswer>;
}

/**
 * A query read in a transaction acting for the tenant. The watermark is read in the same
 * transaction and first, so the position never claims more than the answer shows; reading it
 * also sets the tenant for the data's read (one round trip fewer).
 */
function readInTransaction<Params extends Readonly<Record<string, unknown>>>(
  type: QueryType,
  params: Params,
  tenant: TenantId,
  read: Read,
): PreparedQuery {
  const projection = projectionOf[type];
  return {
    type,
    params,
    projection,
    answer: (pool) =>
      pool.transaction(async (tx) => {
        const watermark = (await tenantWatermark(tx, projection, tenant)) ?? NO_WATERMARK;
        try {
          return { answer: { data: await read(tx), position: watermark.position }, watermark };
        } catch (error) {
          // Nothing there as of the watermark: a read-your-writes wait judges that by the watermark.
          if (error instanceof NotFoundError) throw new AbsentAtWatermark(error.message, watermark);
          throw error;
        }
      }),
  };
}

/** Validates the params before anything waits or reads. */
function prepare(type: QueryType, params: unknown, tenant: TenantId): PreparedQuery {
  switch (type) {
    case 'GetOrder': {
      const valid = parse(queryParams.GetOrder, params, '/params');
      const projection = projectionOf[type];
      // In one statement: read-your-writes queries are mostly this one.
      return {
        type,
        params: valid,
        projection,
        answer: async (pool) => {
          const { order, watermark } = await getOrderAnswer(pool, projection, tenant, valid);
          return { answer: { data: order, position: watermark.position }, watermark };
        },
      };
    }
    case 'ListOrders': {
      const valid = parse(queryParams.ListOrders, params, '/params');
      return readInTransaction(type, valid, tenant, (tx) => listOrders(tx, tenant, valid));
    }
    case 'GetTenantStats':
      return readInTransaction(type, parse(queryParams.GetTenantStats, params, '/params'), tenant, (tx) =>
        getTenantStats(tx, tenant),
      );
    case 'GetTenant':
      return readInTransaction(type, parse(queryParams.GetTenant, params, '/params'), tenant, (tx) =>
        getTenant(tx, tenant),
      );
  }
}

/**
 * The query side (docs/contracts.md §5): each query type reads one read model, in a
 * transaction acting for the caller's tenant, never the event log.
 */
export class ReadModelQueries {
  /**
   * @param pool where the read models are read (a replica will do)
   * @param events where a caller's X-Min-Position is looked up, and what the read
   *   model has yet to apply up to it: the event store, on its primary, so the
   *   position resolves even while the read models are unreachable
   * @param waits what wakes a read-your-writes wait (the process's listener to
   *   the projector's announcements); without it, waits poll
   */
  constructor(
    private readonly pool: DatabasePool,
    private readonly events: EventStore,
    private readonly waits?: WatermarkWaits,
  ) {}

  /** Validates the request; nothing is read yet. */
  prepare(tenant: TenantId, request: unknown): PreparedQuery {
    const { type, params } = parse(queryRequest, request, '');
    return prepare(type, params, tenant);
  }

  /** The caller's X-Min-Position as a point in the tenant's commit order, with its wait. */
  async resolve(tenant: TenantId, consistency: ReadYourWrites): Promise<ResolvedConsistency> {
    const target = await resolvePosition(this.events, tenant, consistency.minPosition);
    return { target, timeoutMs: consistency.timeoutMs };
  }

  /**
   * Reads the answer; given what it must reflect (still being resolved, as a rule),
   * reads it at once and again after waiting if that read was behind (readReflecting).
   */
  async answer(
    tenant: TenantId,
    query: PreparedQuery,
    consistency?: Promise<ResolvedConsistency>,
  ): Promise<WatermarkedAnswer> {
    if (!consistency) return query.answer(this.pool);
    const scope = { projection: query.projection, tenant, waits: this.waits };
    return readReflecting(this.pool, this.events, scope, () => query.answer(this.pool), consistency);
  }

  async execute(tenant: TenantId, request: unknown, consistency?: ReadYourWrites): Promise<QueryAnswer> {
    const query = this.prepare(tenant, request);
    return (await this.answer(tenant, query, consistency && this.resolve(tenant, consistency))).answer;
  }
}
