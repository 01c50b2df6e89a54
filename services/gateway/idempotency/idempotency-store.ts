import { createHash } from 'node:crypto';
import type pg from 'pg';
import { IdempotencyMismatchError, ValidationError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';

/** A response as first sent, replayed byte for byte. */
export interface StoredResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function requestHash(route: string, body: unknown): string {
  return createHash('sha256')
    .update(route)
    .update('\n')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
}

/**
 * Idempotency-Key records per tenant. The first request with a key inserts its
 * record and holds that row's transaction open while it runs; a concurrent
 * repeat's insert waits on the row, then replays what the first stored. A 5xx or
 * a 429 is not remembered (the transaction rolls back), so a retry runs again.
 *
 * It uses a pool of its own, and plain pg: the held transactions must never
 * starve the connections the command needs, and slonik refuses queries of
 * another pool inside a transaction's async context, where the command runs.
 */
export class IdempotencyStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlSeconds: number,
  ) {}

  async run(
    tenant: TenantId,
    key: string,
    hash: string,
    produce: () => Promise<StoredResponse>,
  ): Promise<{ response: StoredResponse; replayed: boolean }> {
    if (key.length === 0 || key.length > 255) {
      throw new ValidationError('Idempotency-Key must be 1 to 255 characters', [
        { path: '/headers/idempotency-key', message: 'must be 1 to 255 characters' },
      ]);
    }
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('eventline.tenant_id', $1, true)`, [tenant]);
      const claimed = await client.query(
        `INSERT INTO idempotency_records
           (tenant_id, idempotency_key, request_hash, status_code, response_headers, response_body, expires_at)
         VALUES ($1, $2, $3, 0, '{}'::jsonb, '', now() + make_interval(secs => $4))
         ON CONFLICT (tenant_id, idempotency_key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, status_code = 0, response_body = '',
               created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE idempotency_records.expires_at < now()
         RETURNING idempotency_key`,
        [tenant, key, hash, this.ttlSeconds],
      );
      if (claimed.rowCount === 0) {
        const { rows } = await client.query<{
          request_hash: string;
          status_code: number;
          response_headers: { contentType?: string };
          response_body: string;
        }>(
          `SELECT request_hash, status_code, response_headers, response_body FROM idempotency_records
            WHERE tenant_id = $1 AND idempotency_key = $2`,
          [tenant, key],
        );
        await client.query('COMMIT');
        const [stored] = rows;
        if (!stored || stored.request_hash !== hash) {
          throw new IdempotencyMismatchError('this Idempotency-Key was used with a different request');
        }
        const response = {
          status: stored.status_code,
          contentType: stored.response_headers.contentType ?? 'application/json',
          body: stored.response_body,
        };
        return { response, replayed: true };
      }
      const response = await produce().catch(async (error: unknown) => {
        await client.query('ROLLBACK');
        throw error;
      });
      if (response.status >= 500 || response.status === 429) {
        await client.query('ROLLBACK');
        return { response, replayed: false };
      }
      await client.query(
        `UPDATE idempotency_records SET status_code = $3, response_headers = $4::jsonb, response_body = $5
          WHERE tenant_id = $1 AND idempotency_key = $2`,
        [tenant, key, response.status, JSON.stringify({ contentType: response.contentType }), response.body],
      );
      await client.query('COMMIT');
      return { response, replayed: false };
    } catch (error) {
      broken = error;
      throw error;
    } finally {
      // A connection whose transaction state is unknown is not handed back to the pool.
      client.release(broken instanceof IdempotencyMismatchError ? undefined : (broken as Error | undefined));
    }
  }
}
