-- Up Migration

-- Where events stand in the commit order, by global position: the answer of
-- the event store's checkpointsOf, as a function, so that a projector's round
-- asks it in its opening statement (readmodels.open_live_round, 1010) instead
-- of a round trip of its own before the transaction. A withdrawn event (a
-- tenant's recovery, 0026) still answers; a position of no event is left out.
CREATE FUNCTION events_checkpoints(p_positions bigint[])
  RETURNS TABLE (global_position bigint, transaction_id text)
  LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT e.global_position, e.transaction_id::text FROM events e
   WHERE e.global_position = ANY(p_positions)
  UNION ALL
  SELECT w.global_position, w.transaction_id::text FROM events_withdrawn w
   WHERE w.global_position = ANY(p_positions);
END;
REVOKE ALL ON FUNCTION events_checkpoints(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION events_checkpoints(bigint[]) TO eventline_relay, eventline_projector;

-- Down Migration
DROP FUNCTION events_checkpoints(bigint[]);
