import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { containsAnyOf, inTenantTransaction, sql } from '../platform/database/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { projections } from './catalogue.ts';
import { LIVE, type Projection, tableIn } from './projection.ts';

/** One read-model row as an export hands it out: the projection, its table, and every column by name. */
export interface ReadModelRow {
  readonly readModel: string;
  readonly table: string;
  readonly row: Readonly<Record<string, unknown>>;
}

/** Rows fetched at a time from a table's cursor: what a page holds in memory. */
const PAGE_ROWS = 500;

const rowColumn = z.object({
  row: z.custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'a JSON object',
  ),
});
const columnName = z.object({ name: z.string() });

/**
 * Every read-model row of one tenant, as it is stored (sealed personal data
 * included, for the caller to open): what a tenant's or a subject's export
 * hands out after the events. Read through a cursor per table, a page at a
 * time, so a large tenant never sits in memory whole.
 */
export class ReadModelRows {
  /** Per table, its numeric columns: exported as exact decimal text, where a JSON number would round. */
  private readonly decimals = new Map<string, readonly string[]>();

  constructor(
    private readonly pool: DatabasePool,
    private readonly among: readonly Projection[] = projections,
  ) {}

  /**
   * Hands the tenant's rows to `onPage`, projection by projection, and waits
   * for each page to be taken before reading the next; with `holding`, only
   * the rows whose JSON holds any of these texts. Answers how many rows.
   */
  async eachPage(
    tenant: TenantId,
    onPage: (rows: readonly ReadModelRow[]) => Promise<void>,
    options: { readonly holding?: readonly string[] } = {},
  ): Promise<number> {
    if (options.holding?.length === 0) return 0;
    return inTenantTransaction(this.pool, tenant, async (tx) => {
      let count = 0;
      for (const projection of this.among) {
        for (const table of projection.tables) {
          count += await this.tablePages(tx, tenant, { projection, table }, onPage, options.holding);
        }
      }
      return count;
    });
  }

  private async tablePages(
    tx: DatabaseTransactionConnection,
    tenant: TenantId,
    { projection, table }: { projection: Projection; table: string },
    onPage: (rows: readonly ReadModelRow[]) => Promise<void>,
    holding: readonly string[] | undefined,
  ): Promise<number> {
    const decimals = await this.decimalColumns(tx, table);
    const asText = decimals.map((name) => sql.fragment`${name}::text, ${sql.identifier(['t', name])}::text`);
    const row =
      asText.length === 0
        ? sql.fragment`to_jsonb(t)`
        : sql.fragment`to_jsonb(t) || jsonb_build_object(${sql.join(asText, sql.fragment`, `)})`;
    const cursor = sql.identifier([`export_${table}`]);
    await tx.query(sql.typeAlias('void')`
      DECLARE ${cursor} NO SCROLL CURSOR FOR
        SELECT ${row} AS row FROM ${tableIn(LIVE, table)} t
         WHERE t.tenant_id = ${tenant}
           AND ${holding ? containsAnyOf(sql.fragment`to_jsonb(t)::text`, holding) : sql.fragment`true`}`);
    let count = 0;
    for (;;) {
      const page = await tx.any(sql.type(rowColumn)`FETCH 500 FROM ${cursor}`);
      if (page.length > 0) await onPage(page.map(({ row }) => ({ readModel: projection.name, table, row })));
      count += page.length;
      if (page.length < PAGE_ROWS) break;
    }
    await tx.query(sql.typeAlias('void')`CLOSE ${cursor}`);
    return count;
  }

  private async decimalColumns(tx: DatabaseTransactionConnection, table: string): Promise<readonly string[]> {
    const known = this.decimals.get(table);
    if (known) return known;
    const rows = await tx.any(sql.type(columnName)`
      SELECT attname AS name FROM pg_attribute
       WHERE attrelid = ${`${LIVE.schema}.${table}`}::regclass
         AND atttypid = 'numeric'::regtype AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum`);
    const names = rows.map((each) => each.name);
    this.decimals.set(table, names);
    return names;
  }
}
