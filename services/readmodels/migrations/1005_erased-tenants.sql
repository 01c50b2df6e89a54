-- Up Migration

-- Offboarded tenants whose read models were erased. Projections skip their
-- events from then on, so an event still on its way (a relay backlog, a Kafka
-- redelivery, a rebuild's replay) never brings a row back.
CREATE TABLE readmodels.erased_tenants (
  tenant_id uuid PRIMARY KEY,
  erased_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON readmodels.erased_tenants TO eventline_service, eventline_projector;

-- The lock a projection's batch holds shared on each tenant it writes, and the
-- erasure exclusively: a batch is either in before the erasure (which then
-- deletes what it wrote) or waits and sees the tenant erased.
CREATE FUNCTION readmodels.tenant_lock_key(p_tenant uuid) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT hashtextextended('eventline.tenant-read-models:' || p_tenant::text, 0) $$;

-- Of these tenants, the erased ones, once their locks are held (shared, until
-- the transaction ends). Volatile plpgsql: its SELECT takes its snapshot after
-- the locks, so an erasure committed while waiting is seen.
CREATE FUNCTION readmodels.erased_among(p_tenants uuid[]) RETURNS uuid[]
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
  DECLARE
    erased uuid[];
  BEGIN
    PERFORM pg_advisory_xact_lock_shared(readmodels.tenant_lock_key(t))
       FROM (SELECT DISTINCT unnest(p_tenants) AS t ORDER BY 1) AS tenants;
    SELECT coalesce(array_agg(e.tenant_id), '{}') INTO erased
      FROM readmodels.erased_tenants e WHERE e.tenant_id = ANY(p_tenants);
    RETURN erased;
  END
  $$;
GRANT EXECUTE ON FUNCTION readmodels.tenant_lock_key(uuid) TO eventline_service, eventline_projector;
GRANT EXECUTE ON FUNCTION readmodels.erased_among(uuid[]) TO eventline_service, eventline_projector;

-- Erases the transaction's own tenant (current_tenant_id(), so a service can
-- erase no other) from every read-model table, the live ones and any rebuild's
-- shadow, and marks it erased; the rows deleted, by table. Watermarks stay:
-- positions, no data, which the rebuilds' bookkeeping reads. Run again, it
-- deletes what is left, which is nothing.
CREATE FUNCTION readmodels.erase_tenant() RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
  DECLARE
    tenant uuid := public.current_tenant_id();
    target record;
    deleted bigint;
    report jsonb := '{}';
  BEGIN
    IF tenant IS NULL THEN
      RAISE EXCEPTION 'erase_tenant needs the transaction''s tenant (eventline.tenant_id)';
    END IF;
    PERFORM pg_advisory_xact_lock(readmodels.tenant_lock_key(tenant));
    INSERT INTO readmodels.erased_tenants (tenant_id) VALUES (tenant) ON CONFLICT DO NOTHING;
    FOR target IN
      SELECT c.table_schema, c.table_name
        FROM information_schema.columns c
        JOIN information_schema.tables t USING (table_schema, table_name)
       WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
         AND (c.table_schema = 'readmodels' OR c.table_schema LIKE 'readmodels\_rebuild\_%')
         AND c.table_name NOT IN ('erased_tenants', 'watermarks')
       ORDER BY 1, 2
    LOOP
      EXECUTE format('DELETE FROM %I.%I WHERE tenant_id = $1', target.table_schema, target.table_name)
        USING tenant;
      GET DIAGNOSTICS deleted = ROW_COUNT;
      IF target.table_schema = 'readmodels' OR deleted > 0 THEN
        report := report || jsonb_build_object(target.table_name, coalesce((report ->> target.table_name)::bigint, 0) + deleted);
      END IF;
    END LOOP;
    RETURN report;
  END
  $$;
REVOKE ALL ON FUNCTION readmodels.erase_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readmodels.erase_tenant() TO eventline_service;

-- Down Migration
DROP FUNCTION readmodels.erase_tenant();
DROP FUNCTION readmodels.erased_among(uuid[]);
DROP FUNCTION readmodels.tenant_lock_key(uuid);
DROP TABLE readmodels.erased_tenants;
