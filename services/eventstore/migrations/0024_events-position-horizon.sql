-- Up Migration

-- The last position the events' sequence handed out, for the relay's check of
-- the store against Kafka after a restore (docs/recovery.md): a restored
-- sequence hands out again positions that records on Kafka already carry. The
-- relay may not read the sequence itself; this function answers that alone.
CREATE FUNCTION events_position_horizon() RETURNS bigint
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
BEGIN ATOMIC
  SELECT last_value FROM events_global_position_seq;
END;

REVOKE ALL ON FUNCTION events_position_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION events_position_horizon() TO eventline_relay;

-- Down Migration
DROP FUNCTION events_position_horizon();
