import type { DatabaseTransactionConnection } from 'slonik';
import { sql } from '../../platform/database/index.ts';
import { LIVE, type Projection, type ReadModelTarget, tableIn } from '../projection.ts';

/** Where a projection's tables are rebuilt: a schema of its own beside `readmodels`. */
export function shadowOf(projection: Projection): ReadModelTarget {
  return { schema: `readmodels_rebuild_${projection.name}` };
}

/**
 * Creates the shadow schema with empty copies of the projection's live tables:
 * columns, defaults, constraints and indexes (LIKE … INCLUDING ALL, the indexes
 * renamed to the live names so a swapped-in table looks like a migrated one),
 * row-level security with the live policies, and the live grants. Copying from
 * the catalogue, not from the migrations, keeps later migrations' changes.
 */
export async function createShadow(tx: DatabaseTransactionConnection, projection: Projection): Promise<void> {
  const shadow = shadowOf(projection);
  await tx.query(sql.typeAlias('void')`DROP SCHEMA IF EXISTS ${sql.identifier([shadow.schema])} CASCADE`);
  await tx.query(sql.typeAlias('void')`CREATE SCHEMA ${sql.identifier([shadow.schema])}`);
  for (const table of projection.tables) {
    await tx.query(sql.typeAlias('void')`
      CREATE TABLE ${tableIn(shadow, table)} (LIKE ${tableIn(LIVE, table)} INCLUDING ALL)`);
    // The DO block below is static text: it reads the two names from these settings.
    await tx.query(sql.typeAlias('void')`
      SELECT set_config('eventline.shadow_schema', ${shadow.schema}, true),
             set_config('eventline.shadow_table', ${table}, true)`);
    await tx.query(COPY_LIVE_DEFINITIONS);
  }
}

/**
 * What LIKE … INCLUDING ALL leaves out: the live index names (an index whose
 * definition after USING and uniqueness match is the copy of a live one), row
 * level security with its policies (PostgreSQL's own deparse of the live ones),
 * and the grants other roles hold on the live table.
 */
const COPY_LIVE_DEFINITIONS = sql.typeAlias('void')`
  DO $copy$
  DECLARE
    shadow text := current_setting('eventline.shadow_schema');
    table_name text := current_setting('eventline.shadow_table');
    live_table regclass := format('readmodels.%I', table_name)::regclass;
    shadow_table regclass := format('%I.%I', shadow, table_name)::regclass;
    entry record;
  BEGIN
    FOR entry IN
      WITH indexes AS (
        SELECT x.indrelid AS owner, i.relname AS index_name, x.indisunique AS is_unique,
               regexp_replace(pg_get_indexdef(x.indexrelid), '^.* USING ', '') AS definition
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid IN (live_table, shadow_table))
      SELECT s.index_name AS copied, l.index_name AS original
        FROM indexes s JOIN indexes l USING (definition, is_unique)
       WHERE s.owner = shadow_table AND l.owner = live_table AND s.index_name <> l.index_name
    LOOP
      EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', shadow, entry.copied, entry.original);
    END LOOP;

    IF (SELECT relrowsecurity FROM pg_class WHERE oid = live_table) THEN
      EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', shadow_table);
    END IF;
    IF (SELECT relforcerowsecurity FROM pg_class WHERE oid = live_table) THEN
      EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', shadow_table);
    END IF;
    FOR entry IN
      SELECT p.policyname, p.permissive, p.cmd, p.qual, p.with_check,
             (SELECT string_agg(CASE WHEN r = 'public' THEN 'PUBLIC' ELSE quote_ident(r) END, ', ')
                FROM unnest(p.roles) r) AS roles
        FROM pg_policies p WHERE p.schemaname = 'readmodels' AND p.tablename = table_name
    LOOP
      EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s %s %s', entry.policyname, shadow_table,
                     entry.permissive, entry.cmd, entry.roles,
                     coalesce('USING (' || entry.qual || ')', ''),
                     coalesce('WITH CHECK (' || entry.with_check || ')', ''));
    END LOOP;

    FOR entry IN
      SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee,
             string_agg(a.privilege_type, ', ') AS privileges
        FROM pg_class c, aclexplode(c.relacl) a
       WHERE c.oid = live_table AND a.grantee <> c.relowner
       GROUP BY a.grantee
    LOOP
      EXECUTE format('GRANT %s ON %s TO %s', entry.privileges, shadow_table, entry.grantee);
    END LOOP;
  END
  $copy$`;

/**
 * The swap: the live tables are dropped and the shadow's moved into their place,
 * in the caller's transaction (which holds the projection's tables seized).
 * DROP waits for queries reading the old tables; queries arriving meanwhile wait
 * for the commit and then read the new ones. Nothing fails, nothing goes back.
 */
export async function swapIn(tx: DatabaseTransactionConnection, projection: Projection): Promise<void> {
  const shadow = shadowOf(projection);
  for (const table of projection.tables) {
    await tx.query(sql.typeAlias('void')`DROP TABLE ${tableIn(LIVE, table)}`);
    await tx.query(
      sql.typeAlias(
        'void',
      )`ALTER TABLE ${tableIn(shadow, table)} SET SCHEMA ${sql.identifier([LIVE.schema])}`,
    );
  }
  await tx.query(sql.typeAlias('void')`DROP SCHEMA ${sql.identifier([shadow.schema])}`);
}

export async function dropShadow(tx: DatabaseTransactionConnection, projection: Projection): Promise<void> {
  await tx.query(
    sql.typeAlias('void')`DROP SCHEMA IF EXISTS ${sql.identifier([shadowOf(projection).schema])} CASCADE`,
  );
}
