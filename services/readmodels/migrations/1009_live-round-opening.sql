-- Up Migration

-- A live round's opening (open_projection_round, 1007) and its tenants'
-- erasure check (erased_among, 1005) in one round trip where they took two:
-- at a trickle a round is ten statements for one event, each a write system
-- call and a wait on the event loop (docs/performance.md). Each RETURN QUERY
-- runs to its end before the next starts, so the locks are taken in the same
-- order as before: the swap locks and the checkpoint rows first, then the
-- tenants' read-model locks shared. Rows: 'checkpoint' and 'watermark' as
-- open_projection_round's, then one 'erased' row per erased tenant among
-- p_mark_tenants (the others were looked at too, and are not erased).
-- open_projection_round stays for a projector of the version before.
CREATE FUNCTION readmodels.open_live_round(
  p_projections text[], p_topics text[], p_partitions integer[],
  p_mark_projections text[], p_mark_tenants uuid[])
  RETURNS TABLE (kind text, projection text, topic text, partition integer, next_offset bigint,
                 tenant_id uuid, transaction_id text, global_position bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
      SELECT CASE WHEN o.topic IS NULL THEN 'watermark' ELSE 'checkpoint' END, o.*
        FROM readmodels.open_projection_round(p_projections, p_topics, p_partitions,
                                              p_mark_projections, p_mark_tenants) AS o;
    RETURN QUERY
      SELECT 'erased', NULL::text, NULL::text, NULL::integer, NULL::bigint, e.tenant, NULL::text, NULL::bigint
        FROM unnest(readmodels.erased_among(p_mark_tenants)) AS e (tenant);
  END
  $$;
REVOKE ALL ON FUNCTION readmodels.open_live_round(text[], text[], integer[], text[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readmodels.open_live_round(text[], text[], integer[], text[], uuid[])
  TO eventline_projector;

-- Down Migration
DROP FUNCTION readmodels.open_live_round(text[], text[], integer[], text[], uuid[]);
