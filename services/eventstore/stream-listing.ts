import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { inTenantTransaction, sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/** One stream (an aggregate instance) as a listing shows it. */
export interface StreamSummary {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface StreamPage {
  readonly items: readonly StreamSummary[];
  /** Where the next page starts; null on the last. */
  readonly nextCursor: string | null;
}

const streamRow = z.object({
  stream_type: z.string(),
  stream_id: z.string(),
  version: z.number().int(),
  created_at: z.number(),
  updated_at: z.number(),
});

const typeCountRow = z.object({ stream_type: z.string(), streams: z.number().int() });

const pageCursor = z.tuple([z.string(), z.guid()]);

function encodeCursor(row: z.infer<typeof streamRow>): string {
  return Buffer.from(JSON.stringify([row.stream_type, row.stream_id])).toString('base64url');
}

function decodeCursor(cursor: string): z.infer<typeof pageCursor> | undefined {
  try {
    const parsed = pageCursor.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A tenant's streams, for the administrators who browse them: how many of each
 * aggregate type, and keyset pages in (type, id) order, which the index
 * streams_by_type serves at the same cost on the last page as on the first.
 */
export class StreamListing {
  constructor(private readonly pool: DatabasePool) {}

  async countsByType(tenant: TenantId): Promise<{ aggregateType: string; streams: number }[]> {
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(typeCountRow)`
        SELECT stream_type, count(*)::int AS streams FROM streams
         WHERE tenant_id = ${tenant} GROUP BY stream_type ORDER BY stream_type`),
    );
    return rows.map((row) => ({ aggregateType: row.stream_type, streams: row.streams }));
  }

  /** One stream of the tenant, or undefined (a malformed id reads as a missing one). */
  async find(tenant: TenantId, aggregateId: string): Promise<StreamSummary | undefined> {
    if (!z.guid().safeParse(aggregateId).success) return undefined;
    const row = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.maybeOne(sql.type(streamRow)`
        SELECT stream_type, stream_id, version, created_at, updated_at FROM streams
         WHERE tenant_id = ${tenant} AND stream_id = ${aggregateId}`),
    );
    return row ? summaryOf(row) : undefined;
  }

  /** A page of the tenant's streams, of one type or all; undefined for a cursor that is not one of ours. */
  async page(
    tenant: TenantId,
    options: { aggregateType?: string; cursor?: string; limit: number },
  ): Promise<StreamPage | undefined> {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    if (options.cursor !== undefined && !after) return undefined;
    const rows = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.any(sql.type(streamRow)`
        SELECT stream_type, stream_id, version, created_at, updated_at FROM streams
         WHERE tenant_id = ${tenant}
           AND ${options.aggregateType === undefined ? sql.fragment`true` : sql.fragment`stream_type = ${options.aggregateType}`}
           AND ${after === undefined ? sql.fragment`true` : sql.fragment`(stream_type, stream_id) > (${after[0]}, ${after[1]}::uuid)`}
         ORDER BY stream_type, stream_id
         LIMIT ${options.limit + 1}`),
    );
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(summaryOf),
      nextCursor: rows.length > options.limit && last ? encodeCursor(last) : null,
    };
  }
}

function summaryOf(row: z.infer<typeof streamRow>): StreamSummary {
  return {
    aggregateType: row.stream_type,
    aggregateId: row.stream_id,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
