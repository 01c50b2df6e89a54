-- Up Migration

-- Hot and cold events (docs/archiving.md). events becomes a table partitioned
-- by LIST on a new column, archived: events_hot (false) takes every append,
-- events_cold (true) holds the events of archived streams and can be moved to
-- a cheaper tablespace by the operator. Every read names the parent, which
-- sees both partitions, so loads, history, time travel, catch-up, rebuilds and
-- exports read across the boundary without knowing it.
--
-- PostgreSQL cannot partition a table in place: the rows are copied into a new
-- partitioned table, which then takes the old one's name, and everything bound
-- to the old table's identity is made again below: the position sequence (it
-- continues where it was), keys, indexes, row-level security, grants, the
-- append-only triggers and the two SQL-standard functions that read it.

-- Bound to the old table and sequence: made again below.
DROP FUNCTION events_at(bigint[]);
DROP FUNCTION events_position_horizon();

-- A partitioned table's primary and unique keys must hold the partition key,
-- so each key below holds at most one row per partition. That is still safe:
-- positions come from one sequence; a stream's versions are handed out under
-- its streams row's lock (the append's version check), and all of a stream's
-- events sit in one partition when it appends (an append to an archived stream
-- moves its events back first, trigger below); an append's event ids are
-- checked against both partitions by append_to_stream before it inserts.
CREATE TABLE events_partitioned (
  global_position bigint NOT NULL GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME events_position_seq_0027),
  tenant_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  stream_type text NOT NULL,
  stream_version integer NOT NULL CONSTRAINT events_stream_version_check CHECK (stream_version > 0),
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  schema_version integer NOT NULL CONSTRAINT events_schema_version_check CHECK (schema_version > 0),
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  correlation_id text,
  causation_id text,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  archived boolean NOT NULL DEFAULT false
) PARTITION BY LIST (archived);
CREATE TABLE events_hot PARTITION OF events_partitioned FOR VALUES IN (false);
CREATE TABLE events_cold PARTITION OF events_partitioned FOR VALUES IN (true);

INSERT INTO events_partitioned
  (global_position, tenant_id, stream_id, stream_type, stream_version, event_id, event_type, schema_version,
   data, metadata, correlation_id, causation_id, occurred_at, recorded_at, transaction_id)
OVERRIDING SYSTEM VALUE
SELECT global_position, tenant_id, stream_id, stream_type, stream_version, event_id, event_type, schema_version,
       data, metadata, correlation_id, causation_id, occurred_at, recorded_at, transaction_id
  FROM events;
-- The next position is the one the old sequence would have handed out: the
-- relay's check against Kafka (events_position_horizon) reads its last value.
SELECT setval('events_position_seq_0027', last_value, is_called) FROM events_global_position_seq;

-- The projector's policy and grant exist when the read models' migrations ran
-- before this one (an existing store), not yet on a new one (1001 adds them).
CREATE TEMP TABLE events_projector_reads ON COMMIT DROP AS
  SELECT EXISTS (SELECT FROM pg_policies WHERE tablename = 'events' AND schemaname = 'public'
                   AND policyname = 'projector_reads_every_tenant') AS present;

DROP TABLE events;
ALTER TABLE events_partitioned RENAME TO events;
ALTER SEQUENCE events_position_seq_0027 RENAME TO events_global_position_seq;

ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (global_position, tenant_id, archived);
ALTER TABLE events ADD CONSTRAINT events_stream_version_unique UNIQUE (tenant_id, stream_id, stream_version, archived);
ALTER TABLE events ADD CONSTRAINT events_event_id_unique UNIQUE (event_id, tenant_id, archived);
CREATE INDEX events_commit_order ON events (transaction_id, global_position);
CREATE INDEX events_tenant_commit_order ON events (tenant_id, transaction_id, global_position);
CREATE INDEX events_correlation ON events (tenant_id, correlation_id, global_position)
  WHERE correlation_id IS NOT NULL;

-- Reads go through the parent, whose policies apply; the partitions grant
-- nothing to the service roles and, with row-level security on and no policy,
-- would show them nothing even if they did.
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events_hot ENABLE ROW LEVEL SECURITY;
ALTER TABLE events_cold ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());
CREATE POLICY relay_reads_every_tenant ON events FOR SELECT TO eventline_relay USING (true);
GRANT SELECT, INSERT ON events TO eventline_service;
GRANT SELECT ON events TO eventline_relay;
DO $$
BEGIN
  IF (SELECT present FROM events_projector_reads) THEN
    CREATE POLICY projector_reads_every_tenant ON events FOR SELECT TO eventline_projector USING (true);
    GRANT SELECT ON events TO eventline_projector;
  END IF;
END
$$;

-- Row triggers on the parent are cloned onto each partition; TRUNCATE
-- triggers are not, and a partition can be truncated by name.
CREATE TRIGGER events_are_append_only_rows BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER events_are_append_only_table BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER events_hot_is_append_only BEFORE TRUNCATE ON events_hot
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER events_cold_is_append_only BEFORE TRUNCATE ON events_cold
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

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

CREATE FUNCTION events_position_horizon() RETURNS bigint
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
BEGIN ATOMIC
  SELECT last_value FROM events_global_position_seq;
END;
REVOKE ALL ON FUNCTION events_position_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION events_position_horizon() TO eventline_relay;

-- A stream is archived while archived_at is set: its events are in events_cold.
ALTER TABLE streams ADD COLUMN archived_at timestamptz;

-- Events stay append-only, but for two owner-only changes: a tenant
-- recovery's DELETE (0026), and moving one stream's events between the
-- partitions. A move is an UPDATE of archived alone, which PostgreSQL carries
-- out as a DELETE from one partition and an INSERT into the other (firing the
-- UPDATE and DELETE triggers); move_stream_events names the stream in
-- eventline.moving_stream for its statement. No service role holds UPDATE or
-- DELETE on events, so the setting opens nothing to them.
CREATE OR REPLACE FUNCTION refuse_event_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.tenant_id::text = current_setting('eventline.recovering_tenant', true) THEN
    RETURN OLD;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE')
     AND OLD.tenant_id::text || '/' || OLD.stream_id::text = current_setting('eventline.moving_stream', true) THEN
    IF TG_OP = 'DELETE' THEN
      RETURN OLD;
    END IF;
    IF to_jsonb(NEW) - 'archived' = to_jsonb(OLD) - 'archived' THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'events are append-only: % on events is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Moves one stream's events to the cold partition or back; the number moved.
CREATE FUNCTION move_stream_events(p_tenant uuid, p_stream uuid, p_archived boolean) RETURNS bigint
  LANGUAGE plpgsql
  AS $$
DECLARE
  v_moved bigint;
BEGIN
  PERFORM set_config('eventline.moving_stream', p_tenant::text || '/' || p_stream::text, true);
  UPDATE events SET archived = p_archived
   WHERE tenant_id = p_tenant AND stream_id = p_stream AND archived <> p_archived;
  GET DIAGNOSTICS v_moved = ROW_COUNT;
  PERFORM set_config('eventline.moving_stream', '', true);
  RETURN v_moved;
END
$$;
REVOKE ALL ON FUNCTION move_stream_events(uuid, uuid, boolean) FROM PUBLIC;

-- Archives a stream if it is still idle for p_idle when its row is locked
-- (an append may have come meanwhile); the events moved, NULL if none were.
CREATE FUNCTION archive_stream(p_tenant uuid, p_stream uuid, p_idle interval) RETURNS bigint
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM FROM streams s
    WHERE s.tenant_id = p_tenant AND s.stream_id = p_stream
      AND s.archived_at IS NULL AND s.updated_at < now() - p_idle
    FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  UPDATE streams SET archived_at = now() WHERE tenant_id = p_tenant AND stream_id = p_stream;
  RETURN move_stream_events(p_tenant, p_stream, true);
END
$$;
REVOKE ALL ON FUNCTION archive_stream(uuid, uuid, interval) FROM PUBLIC;

-- Brings an archived stream's events back to the hot partition; the events
-- moved, NULL if the stream is not archived.
CREATE FUNCTION unarchive_stream(p_tenant uuid, p_stream uuid) RETURNS bigint
  LANGUAGE plpgsql
  AS $$
BEGIN
  UPDATE streams SET archived_at = NULL
   WHERE tenant_id = p_tenant AND stream_id = p_stream AND archived_at IS NOT NULL;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN move_stream_events(p_tenant, p_stream, false);
END
$$;
REVOKE ALL ON FUNCTION unarchive_stream(uuid, uuid) FROM PUBLIC;

-- An append to an archived stream first brings its events back: the append
-- changes the stream's version under its row's lock, and this moves the events
-- before the new ones are inserted, so the stream is whole in events_hot again.
-- It runs as the owner (the service roles may not move events).
CREATE FUNCTION unarchive_on_append() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
BEGIN
  PERFORM move_stream_events(NEW.tenant_id, NEW.stream_id, false);
  NEW.archived_at := NULL;
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION unarchive_on_append() FROM PUBLIC;
CREATE TRIGGER streams_unarchive_on_append BEFORE UPDATE ON streams
  FOR EACH ROW WHEN (OLD.archived_at IS NOT NULL AND NEW.version IS DISTINCT FROM OLD.version)
  EXECUTE FUNCTION unarchive_on_append();

-- Down Migration
-- Not reversible without copying the table back; restore from a backup instead.
