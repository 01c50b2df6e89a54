import type { DatabasePool } from 'slonik';
import { EventSchemas } from '../avro/index.ts';
import { tenantDecider } from '../domain/tenants/index.ts';
import {
  type HistoryScope,
  lockTenantWrites,
  PostgresEventStore,
  readTenantHistory,
  replaceTenantHistory,
  type TenantReplacement,
  Upcasters,
} from '../eventstore/index.ts';
import { forgetRecordsAfter } from '../gateway/idempotency/recovered-tenant.ts';
import { dropWithdrawnRows } from '../outbox/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { type KeyRecovery, readTenantKeys, restoreTenantKeys } from '../privacy/index.ts';
import { projections, rebuildTenant, type TenantRebuild } from '../readmodels/index.ts';

/** What `eventline tenants recover` did (docs/recovery.md, "Recovering one tenant"). */
export interface TenantRecoveryReport {
  readonly tenantId: TenantId;
  /** The point recovered to: --as-of, or the copy's newest event. */
  readonly asOf: string;
  readonly events: TenantReplacement['events'];
  readonly streams: number;
  readonly snapshots: number;
  readonly outboxRowsDropped: number;
  readonly keys: KeyRecovery;
  readonly idempotencyRecordsForgotten: number;
  readonly readModels: readonly Omit<TenantRebuild, 'tenant'>[];
  readonly seconds: number;
  /** Of those, the transaction's: how long the tenant's commands were refused. */
  readonly lockedSeconds: number;
}

/** Why a recovery did not start; nothing was changed. */
export class RecoveryRefused extends Error {
  override readonly name = 'RecoveryRefused';
}

/**
 * Recovers one tenant of the live store (`live`, as its owner) as the restored
 * copy `source` holds it, up to `asOf`: its events, streams and snapshots, its
 * keys, its Idempotency-Key records and its read models, in ONE transaction of
 * the live store. The tenant's own lifecycle stream (the Tenant aggregate: its
 * plan, status and forgotten subjects) stays as it is live. The tenant's
 * appends are refused while it runs; other tenants' go on. An offboarded
 * tenant is refused by its read models' rebuild, which undoes it all.
 */
export async function recoverTenant(
  live: DatabasePool,
  source: DatabasePool,
  tenant: TenantId,
  options: { readonly asOf?: Date } = {},
): Promise<TenantRecoveryReport> {
  const started = performance.now();
  const scope: HistoryScope = {
    ...(options.asOf ? { asOf: options.asOf } : {}),
    keepStreamTypes: [tenantDecider.aggregateType],
  };
  const history = await readTenantHistory(source, tenant, scope);
  if (history.events === 0 || history.asOf === null)
    throw new RecoveryRefused(
      `the copy holds no event of tenant ${tenant}${options.asOf ? ` up to ${options.asOf.toISOString()}` : ''}`,
    );
  const asOf = history.asOf;
  const keys = await readTenantKeys(source, tenant);
  const events = new PostgresEventStore(live, await EventSchemas.load(), new Upcasters());

  const secondsSince = (start: number) => Math.round((performance.now() - start) / 10) / 100;
  const locked = performance.now();
  const report = await live.transaction(async (tx) => {
    await lockTenantWrites(tx, tenant);
    const replaced = await replaceTenantHistory(tx, history, scope);
    const outboxRowsDropped = await dropWithdrawnRows(tx, tenant, replaced.withdrawnPositions);
    const restoredKeys = await restoreTenantKeys(tx, tenant, keys);
    const idempotencyRecordsForgotten = await forgetRecordsAfter(tx, tenant, asOf);
    const readModels: Omit<TenantRebuild, 'tenant'>[] = [];
    for (const projection of projections) {
      // Past every event of the tenant consumers may have seen: records of withdrawn events still on
      // Kafka are skipped as republished, and its next events carry cursors above them all.
      const rebuilt = await rebuildTenant(tx, projection, tenant, events, {
        raiseWatermarkTo: replaced.newestBefore,
      });
      readModels.push({
        projection: rebuilt.projection,
        rowsDeleted: rebuilt.rowsDeleted,
        eventsApplied: rebuilt.eventsApplied,
        watermark: rebuilt.watermark,
      });
    }
    return {
      tenantId: tenant,
      asOf,
      events: replaced.events,
      streams: replaced.streams,
      snapshots: replaced.snapshots,
      outboxRowsDropped,
      keys: restoredKeys,
      idempotencyRecordsForgotten,
      readModels,
    };
  });
  return { ...report, seconds: secondsSince(started), lockedSeconds: secondsSince(locked) };
}
