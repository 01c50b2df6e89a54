import { asOwner } from '../relay/harness.ts';
import type { TestDatabase } from '../support/database.ts';
import { waitFor } from '../support/wait.ts';

/** Events parked in readmodels.dead_letters: verify skips them, so a crash test must count them itself. */
export async function deadLetterCount(db: TestDatabase): Promise<number> {
  const [row] = await asOwner<{ n: number }>(
    db.adminUrl,
    'SELECT count(*)::int AS n FROM readmodels.dead_letters',
  );
  return row?.n ?? 0;
}

/** The sum of every checkpoint's next offset: it moves exactly when a batch commits. */
export async function checkpointTotal(db: TestDatabase): Promise<number> {
  const [row] = await asOwner<{ total: string | null }>(
    db.adminUrl,
    'SELECT sum(next_offset)::text AS total FROM readmodels.checkpoints',
  );
  return Number(row?.total ?? 0);
}

/**
 * Resolves once a batch has been committed after `since` was read (the checkpoints
 * moved past it): a kill timed by this lands while the projector applies, not
 * while its consumers are still joining their groups.
 */
export async function batchApplied(db: TestDatabase, since: number, timeoutMs = 60_000): Promise<number> {
  return waitFor(
    'a batch applied (a checkpoint advanced)',
    async () => {
      const now = await checkpointTotal(db);
      return now > since ? now : undefined;
    },
    { timeoutMs, intervalMs: 50 },
  );
}
