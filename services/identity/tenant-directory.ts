import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import {
  evolveTenant,
  type ExistingTenant,
  initialTenantState,
  planQuotas,
  tenantPlans,
  type TenantEvent,
  type TenantState,
} from '../domain/tenants/index.ts';
import type { AppendedEvent, InlineProjection } from '../eventstore/index.ts';
import { inTenantTransaction, sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { RecentLookups } from './recent-lookups.ts';

export interface TenantRecord extends ExistingTenant {
  readonly tenantId: TenantId;
  readonly version: number;
}

const tenantRow = z.object({
  tenant_id: z.string(),
  name: z.string(),
  plan: z.enum(tenantPlans),
  status: z.enum(['active', 'suspended', 'offboarded']),
  commands_per_minute: z.number().int(),
  max_burst: z.number().int(),
  events_per_day: z.number().int().nullable(),
  suspension_reason: z.string().nullable(),
  version: z.number().int(),
});

type TenantRow = z.infer<typeof tenantRow>;

const TENANT_COLUMNS = sql.fragment`tenant_id, name, plan, status, commands_per_minute, max_burst,
  events_per_day, suspension_reason, version`;

/** A page of the directory, in name order, and where the next one starts (null: this was the last). */
export interface TenantPage {
  readonly items: readonly TenantRecord[];
  readonly nextCursor: string | null;
}

const pageCursor = z.tuple([z.string(), z.guid()]);

/** Where a page continues: the last row's sort key, opaque to clients. */
function encodeCursor(row: TenantRow): string {
  return Buffer.from(JSON.stringify([row.name.toLowerCase(), row.tenant_id])).toString('base64url');
}

function decodeCursor(cursor: string): z.infer<typeof pageCursor> | undefined {
  try {
    const parsed = pageCursor.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Tenants remembered at most; past it the least recently read is forgotten first. */
const CACHED_TENANTS_AT_MOST = 10_000;

/**
 * The tenants table: each tenant's state as the Tenant aggregate folds it, so
 * every request reads one row (briefly cached: a suspension or a new quota
 * reaches the other processes within cacheMs) instead of replaying a stream.
 * It is kept by `inline`, an inline projection of the event store, in the
 * same transaction as the Tenant's events: a tenant is never in the log
 * without its row, nor suspended in the log but not here.
 */
export class TenantDirectory {
  private readonly tenants: RecentLookups<TenantId, TenantRecord | undefined>;

  /** Register with the event store: it writes the row in each Tenant append's transaction. */
  readonly inline: InlineProjection = {
    name: 'tenant-directory',
    streamTypes: ['Tenant'],
    apply: (tx, tenant, events) => this.fold(tx, tenant, events),
    // Forgotten only once the change has committed: sooner, a read in between would remember the old row.
    committed: (tenant) => this.tenants.forget(tenant),
  };

  constructor(
    private readonly pool: DatabasePool,
    cacheMs = 1000,
  ) {
    this.tenants = new RecentLookups((tenant) => this.lookUp(tenant), {
      maxAgeMs: cacheMs,
      maxEntries: CACHED_TENANTS_AT_MOST,
    });
  }

  find(tenant: TenantId): Promise<TenantRecord | undefined> {
    return this.tenants.get(tenant);
  }

  /**
   * Every tenant, for the platform administrator: in name order, optionally
   * those whose name contains `search` (any case), `limit` a page (at most 500).
   * A cursor that is not one of ours answers undefined.
   */
  async list(options: { search?: string; cursor?: string; limit: number }): Promise<TenantPage | undefined> {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    if (options.cursor !== undefined && !after) return undefined;
    const rows = await this.pool.any(sql.type(tenantRow)`
      SELECT ${TENANT_COLUMNS}
        FROM tenant_directory_page(${options.search ?? null}, ${after?.[0] ?? null}, ${after?.[1] ?? null}::uuid,
                                   ${options.limit + 1})`);
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(toRecord),
      nextCursor: rows.length > options.limit && last ? encodeCursor(last) : null,
    };
  }

  private async lookUp(tenant: TenantId): Promise<TenantRecord | undefined> {
    const row = await inTenantTransaction(this.pool, tenant, (tx) =>
      tx.maybeOne(sql.type(tenantRow)`SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = ${tenant}`),
    );
    return row ? toRecord(row) : undefined;
  }

  /** The row as it stands (locked), the events folded onto it with the aggregate's own evolve, written back. */
  private async fold(
    tx: DatabaseTransactionConnection,
    tenant: TenantId,
    events: readonly AppendedEvent[],
  ): Promise<void> {
    const row = await tx.maybeOne(
      sql.type(tenantRow)`SELECT ${TENANT_COLUMNS} FROM tenants WHERE tenant_id = ${tenant} FOR UPDATE`,
    );
    const state = events.reduce<TenantState>(
      (current, event) => evolveTenant(current, event as unknown as TenantEvent),
      row ? toRecord(row) : initialTenantState,
    );
    const version = events.at(-1)?.streamVersion;
    if (state.status === 'none' || version === undefined) return;
    await tx.query(sql.typeAlias('void')`
      INSERT INTO tenants (tenant_id, name, plan, status, commands_per_minute, max_burst, events_per_day,
                           suspension_reason, version)
      VALUES (${tenant}, ${state.name}, ${state.plan}, ${state.status}, ${state.quota.commandsPerMinute},
              ${state.quota.maxBurst}, ${state.quota.eventsPerDay}, ${state.suspensionReason}, ${version})
      ON CONFLICT (tenant_id) DO UPDATE
        SET name = EXCLUDED.name, plan = EXCLUDED.plan, status = EXCLUDED.status,
            commands_per_minute = EXCLUDED.commands_per_minute, max_burst = EXCLUDED.max_burst,
            events_per_day = EXCLUDED.events_per_day, suspension_reason = EXCLUDED.suspension_reason,
            version = EXCLUDED.version, updated_at = now()`);
  }
}

function toRecord(row: TenantRow): TenantRecord {
  return {
    tenantId: row.tenant_id as TenantId,
    name: row.name,
    plan: row.plan,
    status: row.status,
    quota: {
      commandsPerMinute: row.commands_per_minute,
      maxBurst: row.max_burst,
      eventsPerDay: row.events_per_day ?? planQuotas[row.plan].eventsPerDay,
    },
    suspensionReason: row.suspension_reason,
    version: row.version,
  };
}
