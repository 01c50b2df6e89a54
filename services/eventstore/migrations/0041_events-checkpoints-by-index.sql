-- Up Migration

-- events_checkpoints (0034) is asked by every projector round's opening
-- (readmodels.open_live_round). As an SQL function it was inlined into that
-- statement, whose plan the projector's session keeps; one made while events
-- was small, before its statistics caught up, read each partition whole. In
-- the `end-to-end` bench (auto_explain, statements over 3 ms) it did so for
-- the first minute of a new database, through the 500/s rounds: 868 buffers,
-- 3 to 5 ms a round opening, for a few positions. Like events_at (0040) it is
-- now PL/pgSQL with planner settings that leave it a probe of each table's
-- key per position, planned once for the session.
CREATE OR REPLACE FUNCTION events_checkpoints(p_positions bigint[])
  RETURNS TABLE (global_position bigint, transaction_id text)
  LANGUAGE plpgsql STABLE
  SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
BEGIN
  RETURN QUERY
  SELECT e.global_position, e.transaction_id::text FROM public.events e
   WHERE e.global_position = ANY(p_positions)
  UNION ALL
  SELECT w.global_position, w.transaction_id::text FROM public.events_withdrawn w
   WHERE w.global_position = ANY(p_positions);
END
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION events_checkpoints(p_positions bigint[])
  RETURNS TABLE (global_position bigint, transaction_id text)
  LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT e.global_position, e.transaction_id::text FROM events e
   WHERE e.global_position = ANY(p_positions)
  UNION ALL
  SELECT w.global_position, w.transaction_id::text FROM events_withdrawn w
   WHERE w.global_position = ANY(p_positions);
END;
