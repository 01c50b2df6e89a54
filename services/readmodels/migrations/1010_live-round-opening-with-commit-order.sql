-- Up Migration

-- A live round's opening (1009) that also answers where the round's records
-- stand in the commit order (the event store's events_checkpoints, 0034): one
-- 'position' row per position the store holds an event at. A round asked that
-- in a statement of its own before its transaction: one round trip of the
-- eight a round at a trickle makes (docs/performance.md). The 1009 form stays
-- for a projector of the version before.
CREATE FUNCTION readmodels.open_live_round(
  p_projections text[], p_topics text[], p_partitions integer[],
  p_mark_projections text[], p_mark_tenants uuid[], p_positions bigint[])
  RETURNS TABLE (kind text, projection text, topic text, partition integer, next_offset bigint,
                 tenant_id uuid, transaction_id text, global_position bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
  BEGIN
    RETURN QUERY
      SELECT * FROM readmodels.open_live_round(p_projections, p_topics, p_partitions,
                                               p_mark_projections, p_mark_tenants);
    RETURN QUERY
      SELECT 'position', NULL::text, NULL::text, NULL::integer, NULL::bigint, NULL::uuid,
             c.transaction_id, c.global_position
        FROM public.events_checkpoints(p_positions) AS c;
  END
  $$;
REVOKE ALL ON FUNCTION readmodels.open_live_round(text[], text[], integer[], text[], uuid[], bigint[])
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readmodels.open_live_round(text[], text[], integer[], text[], uuid[], bigint[])
  TO eventline_projector;

-- Down Migration
DROP FUNCTION readmodels.open_live_round(text[], text[], integer[], text[], uuid[], bigint[]);
