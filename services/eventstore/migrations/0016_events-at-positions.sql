-- Up Migration

-- The events at a set of global positions, with what a Kafka record of each
-- carries: the event store's one read for the outbox relay, whose page
-- (relay_outbox_page, services/outbox/) reads events through it, never the
-- table. A SQL-standard body: its references are bound now, not at each call.
CREATE FUNCTION events_at(p_positions bigint[])
  RETURNS TABLE (global_position bigint, event_id uuid, event_type text, schema_version integer,
                 stream_type text, stream_id uuid, stream_version integer, data jsonb, metadata jsonb,
                 correlation_id text, causation_id text, occurred_at timestamptz)
  LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT e.global_position, e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id,
         e.stream_version, e.data, e.metadata, e.correlation_id, e.causation_id, e.occurred_at
    FROM events e
   WHERE e.global_position = ANY(p_positions);
END;

REVOKE ALL ON FUNCTION events_at(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION events_at(bigint[]) TO eventline_relay;

-- Down Migration
DROP FUNCTION events_at(bigint[]);
