-- Up Migration

-- A live round commits without waiting for its WAL flush. What such a commit
-- can lose is only a PostgreSQL crash's last moments (wal_writer_delay, 200 ms
-- by default, three times at most), and it loses them whole: the read models'
-- rows, the watermarks and the partitions' checkpoints are one transaction, so
-- they go back together, and the projector, finding the next record past its
-- checkpoint, seeks back and applies them again from Kafka (docs/projector.md).
-- Nothing else waits on a round's flush: an append's commit still flushes its
-- own, and every later synchronous commit flushes the rounds' WAL before it.
-- The round's time and the appends' flushes are shorter for it
-- (docs/performance.md).
CREATE OR REPLACE FUNCTION readmodels.open_live_round(
  p_projections text[], p_topics text[], p_partitions integer[],
  p_mark_projections text[], p_mark_tenants uuid[], p_positions bigint[])
  RETURNS TABLE (kind text, projection text, topic text, partition integer, next_offset bigint,
                 tenant_id uuid, transaction_id text, global_position bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
  BEGIN
    -- Local to the round's transaction: nothing after it on the connection commits this way.
    PERFORM set_config('synchronous_commit', 'off', true);
    RETURN QUERY
      SELECT * FROM readmodels.open_live_round(p_projections, p_topics, p_partitions,
                                               p_mark_projections, p_mark_tenants);
    RETURN QUERY
      SELECT 'position', NULL::text, NULL::text, NULL::integer, NULL::bigint, NULL::uuid,
             c.transaction_id, c.global_position
        FROM public.events_checkpoints(p_positions) AS c;
  END
  $$;

-- Down Migration
CREATE OR REPLACE FUNCTION readmodels.open_live_round(
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
