import type { CommonQueryMethods, DatabasePool, FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';

/** One append as the SQL functions take it. */
export interface AppendCall {
  readonly tenant_id: string;
  readonly stream_id: string;
  readonly stream_type: string;
  readonly context: string;
  readonly expected_version: number | null;
  readonly events: readonly object[];
}

/** What append_to_stream answers (migration 0007). */
const appendAnswer = z.object({
  outcome: z.enum(['appended', 'duplicate', 'conflict']),
  stream_version: z.number(),
  global_positions: z.array(z.number()).nullable(),
});

export type AppendAnswer = z.infer<typeof appendAnswer>;

/** What append_to_streams answers (migration 0010): each append's answer, by its place in the batch. */
const batchAnswer = appendAnswer.extend({ ordinal: z.number() });

/** The FROM item storing the keys appends sealed with (PersonalDataSealer.keeping), when there is a sealer. */
export type KeyKeeping = (keys: readonly unknown[]) => FragmentSqlToken | undefined;

interface Pending {
  readonly call: AppendCall;
  /** The keys its personal data was sealed with, stored in the same statement. */
  readonly keys: readonly unknown[];
  resolve(answer: AppendAnswer): void;
  reject(error: unknown): void;
}

/**
 * Group commit for appends that create their stream. While one batch is in
 * flight, new creations queue and then share the next transaction, so one WAL
 * flush serves many commands; with nothing in flight an append goes at once, so
 * a quiet system pays no added latency. Each caller still gets its own answer.
 * One batch, not several: a transaction's fixed cost in PostgreSQL (about 0.7 ms
 * of CPU, against 0.2 for each append it carries) is what a busy gateway saves,
 * and more batches in flight only split the queue into smaller ones
 * (docs/performance.md, "one creation batch in flight").
 * (Appends to existing streams never share a transaction: see append_to_streams.)
 */
export class CreationBatcher {
  private readonly queue: Pending[] = [];
  private committing = false;

  constructor(
    private readonly pool: DatabasePool,
    private readonly keeping: KeyKeeping,
    private readonly maxBatch = 64,
  ) {}

  append(call: AppendCall, keys: readonly unknown[] = []): Promise<AppendAnswer> {
    return new Promise((resolve, reject) => {
      this.queue.push({ call, keys, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.committing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.committing = true;
    void this.commit(batch).finally(() => {
      this.committing = false;
      this.pump();
    });
  }

  private async commit(batch: readonly Pending[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const keep = keepingOf(
          this.keeping,
          batch.flatMap((pending) => pending.keys),
        );
        const rows = await this.pool.any(sql.type(batchAnswer)`
          SELECT ordinal, outcome, stream_version, global_positions
            FROM ${joined(keep)}
                 append_to_streams(${JSON.stringify(batch.map((pending) => pending.call))}::jsonb)`);
        for (const row of rows) batch[row.ordinal]?.resolve(row);
        return;
      } catch {
        // One bad append failed them all: run each alone so the error reaches its own caller.
      }
    }
    await Promise.all(
      batch.map((pending) =>
        appendOne(this.pool, pending.call, keepingOf(this.keeping, pending.keys)).then(
          pending.resolve,
          pending.reject,
        ),
      ),
    );
  }
}

/** The FROM item storing these keys, or none when there are none. */
function keepingOf(keep: KeyKeeping, keys: readonly unknown[]): FragmentSqlToken | undefined {
  return keys.length > 0 ? keep(keys) : undefined;
}

/** The keys' FROM item and its comma, to put before the append's function; nothing without keys. */
function joined(keep: FragmentSqlToken | undefined): FragmentSqlToken {
  return keep ? sql.fragment`${keep} AS kept,` : sql.fragment``;
}

/**
 * One append on its own, on the pool or inside a transaction the caller holds;
 * `keep` stores the keys its personal data was sealed with in the same
 * statement, so they commit with its events (or, on a conflict, are stored
 * unused: harmless, and destroyed with the subject's others).
 */
export async function appendOne(
  db: CommonQueryMethods,
  call: AppendCall,
  keep?: FragmentSqlToken,
): Promise<AppendAnswer> {
  return db.one(sql.type(appendAnswer)`
    SELECT outcome, stream_version, global_positions
      FROM ${joined(keep)}
           append_to_stream(${call.tenant_id}, ${call.stream_id}, ${call.stream_type}, ${call.context},
                            ${call.expected_version}::integer, ${JSON.stringify(call.events)}::jsonb)`);
}
