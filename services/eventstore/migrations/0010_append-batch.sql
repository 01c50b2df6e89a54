-- Up Migration

-- Many appends, to any streams of any tenants, in one transaction and so one
-- WAL flush: how concurrent commands share a commit. Only appends that create
-- their stream may share one: the batch takes its transaction id at its first
-- write, so an append to an existing stream could get an id older than the
-- stream's previous commit, and commit-order readers would see it first.
-- p_appends is an array of
-- {tenant_id, stream_id, stream_type, context, expected_version, events}; the
-- answer has one row per append, in order, as append_to_stream answers it. A
-- conflict is an answer, not an error, so one stale append does not undo the
-- others; an error (an event id reused, a stream of another type) fails the
-- whole batch, which the caller then retries append by append.
CREATE FUNCTION append_to_streams(p_appends jsonb)
  RETURNS TABLE (ordinal integer, outcome text, stream_version integer, global_positions jsonb)
  LANGUAGE plpgsql
  AS $$
#variable_conflict use_column
DECLARE
  v_append jsonb;
  v_ordinal integer := 0;
BEGIN
  FOR v_append IN SELECT value FROM jsonb_array_elements(p_appends) LOOP
    RETURN QUERY
    SELECT v_ordinal, a.outcome, a.stream_version, a.global_positions
      FROM append_to_stream(
        (v_append ->> 'tenant_id')::uuid,
        (v_append ->> 'stream_id')::uuid,
        v_append ->> 'stream_type',
        v_append ->> 'context',
        (v_append ->> 'expected_version')::integer,
        v_append -> 'events'
      ) AS a;
    v_ordinal := v_ordinal + 1;
  END LOOP;
END
$$;

GRANT EXECUTE ON FUNCTION append_to_streams(jsonb) TO eventline_service;

-- Down Migration
DROP FUNCTION append_to_streams(jsonb);
