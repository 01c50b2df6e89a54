-- Up Migration

-- appendToStream in one round trip. Sets the transaction's tenant, so row-level
-- security confines everything below to that tenant; returns one row:
--   outcome 'appended'  - stream_version is the new version, global_positions the events' positions;
--   outcome 'duplicate' - these event ids were stored already (a retried append): the stored result;
--   outcome 'conflict'  - expected version not met; stream_version is the current one (0: no stream).
-- p_expected_version: NULL any version, 0 the stream must not exist, n the stream must be at n.
-- The first write is the stream row, which also serialises appends to one stream,
-- so a stream's transactions take transaction ids in commit order.
CREATE FUNCTION append_to_stream(
  p_tenant_id uuid,
  p_stream_id uuid,
  p_stream_type text,
  p_context text,
  p_expected_version integer,
  p_events jsonb
) RETURNS TABLE (outcome text, stream_version integer, global_positions jsonb)
  LANGUAGE plpgsql
  AS $$
#variable_conflict use_column
DECLARE
  v_count integer := jsonb_array_length(p_events);
  v_first_event uuid := (p_events -> 0 ->> 'event_id')::uuid;
  v_previous integer;
  v_stored_type text;
BEGIN
  IF v_count = 0 THEN
    RAISE EXCEPTION 'append_to_stream needs at least one event' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('eventline.tenant_id', p_tenant_id::text, true);

  IF EXISTS (SELECT FROM events e WHERE e.event_id = v_first_event) THEN
    RETURN QUERY SELECT * FROM stored_append(p_stream_id, p_events);
    RETURN;
  END IF;

  LOOP
    IF p_expected_version IS DISTINCT FROM 0 THEN
      UPDATE streams s SET version = s.version + v_count, updated_at = now()
        WHERE s.tenant_id = p_tenant_id AND s.stream_id = p_stream_id
          AND (p_expected_version IS NULL OR s.version = p_expected_version)
        RETURNING s.version - v_count, s.stream_type INTO v_previous, v_stored_type;
      EXIT WHEN FOUND;
    END IF;
    IF p_expected_version IS NULL OR p_expected_version = 0 THEN
      INSERT INTO streams (tenant_id, stream_id, stream_type, version)
        VALUES (p_tenant_id, p_stream_id, p_stream_type, v_count)
        ON CONFLICT DO NOTHING;
      IF FOUND THEN
        v_previous := 0;
        v_stored_type := p_stream_type;
        EXIT;
      END IF;
      -- Another transaction created the stream meanwhile: with any version, append after it.
      CONTINUE WHEN p_expected_version IS NULL;
    END IF;
    -- A concurrent retry of this very append may have committed while we waited.
    IF EXISTS (SELECT FROM events e WHERE e.event_id = v_first_event) THEN
      RETURN QUERY SELECT * FROM stored_append(p_stream_id, p_events);
      RETURN;
    END IF;
    RETURN QUERY SELECT 'conflict'::text,
      coalesce((SELECT s.version FROM streams s WHERE s.tenant_id = p_tenant_id AND s.stream_id = p_stream_id), 0),
      NULL::jsonb;
    RETURN;
  END LOOP;

  IF v_stored_type <> p_stream_type THEN
    RAISE EXCEPTION 'stream % is a %, not a %', p_stream_id, v_stored_type, p_stream_type
      USING ERRCODE = 'EL001';
  END IF;

  RETURN QUERY
  WITH inserted AS (
    INSERT INTO events (tenant_id, stream_id, stream_type, stream_version, event_id, event_type,
                        schema_version, data, metadata, correlation_id, causation_id, occurred_at)
    SELECT p_tenant_id, p_stream_id, p_stream_type, v_previous + x.n::integer, (x.e ->> 'event_id')::uuid,
           x.e ->> 'event_type', (x.e ->> 'schema_version')::integer, x.e -> 'data', x.e -> 'metadata',
           x.e ->> 'correlation_id', x.e ->> 'causation_id',
           coalesce((x.e ->> 'occurred_at')::timestamptz, now())
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, n)
     ORDER BY x.n
    RETURNING events.global_position, events.stream_version, events.transaction_id
  ), outboxed AS (
    INSERT INTO outbox (global_position, tenant_id, transaction_id, context)
    SELECT i.global_position, p_tenant_id, i.transaction_id, p_context FROM inserted i
  )
  SELECT 'appended'::text, v_previous + v_count, jsonb_agg(i.global_position ORDER BY i.stream_version)
    FROM inserted i;
END
$$;

-- The stored result of an append whose events exist already; refuses ids reused
-- for other events (another stream, or only some of the batch).
CREATE FUNCTION stored_append(p_stream_id uuid, p_events jsonb)
  RETURNS TABLE (outcome text, stream_version integer, global_positions jsonb)
  LANGUAGE plpgsql
  AS $$
#variable_conflict use_column
DECLARE
  v_found integer;
  v_same_stream boolean;
BEGIN
  SELECT count(*), bool_and(e.stream_id = p_stream_id) INTO v_found, v_same_stream
    FROM events e
   WHERE e.event_id IN (SELECT (x ->> 'event_id')::uuid FROM jsonb_array_elements(p_events) x);
  IF v_found <> jsonb_array_length(p_events) OR NOT v_same_stream THEN
    RAISE EXCEPTION 'event ids of this append are already used by other events' USING ERRCODE = 'unique_violation';
  END IF;
  RETURN QUERY
  SELECT 'duplicate'::text, max(e.stream_version), jsonb_agg(e.global_position ORDER BY e.stream_version)
    FROM events e
   WHERE e.event_id IN (SELECT (x ->> 'event_id')::uuid FROM jsonb_array_elements(p_events) x);
END
$$;

-- Loading an aggregate in one round trip: the latest snapshot of the wanted
-- snapshot version (if any, and if not past p_until_version) as a row of kind
-- 'snapshot', then the events after it up to p_until_version (NULL: all).
CREATE FUNCTION load_stream(
  p_tenant_id uuid,
  p_stream_id uuid,
  p_snapshot_version integer,
  p_until_version integer
) RETURNS TABLE (
  kind text, stream_type text, stream_version integer, event_id uuid, event_type text,
  schema_version integer, data jsonb, metadata jsonb, global_position bigint, transaction_id text,
  occurred_at timestamptz, recorded_at timestamptz
)
  LANGUAGE plpgsql
  AS $$
#variable_conflict use_column
DECLARE
  v_from integer := 0;
BEGIN
  PERFORM set_config('eventline.tenant_id', p_tenant_id::text, true);
  IF p_snapshot_version IS NOT NULL THEN
    RETURN QUERY
    SELECT 'snapshot'::text, s.stream_type, s.stream_version, NULL::uuid, NULL::text, s.schema_version,
           s.state, NULL::jsonb, NULL::bigint, NULL::text, s.created_at, s.created_at
      FROM snapshots s
     WHERE s.tenant_id = p_tenant_id AND s.stream_id = p_stream_id
       AND s.schema_version = p_snapshot_version
       AND (p_until_version IS NULL OR s.stream_version <= p_until_version);
    IF FOUND THEN
      SELECT s.stream_version INTO v_from FROM snapshots s
       WHERE s.tenant_id = p_tenant_id AND s.stream_id = p_stream_id;
    END IF;
  END IF;
  RETURN QUERY
  SELECT 'event'::text, e.stream_type, e.stream_version, e.event_id, e.event_type, e.schema_version,
         e.data, e.metadata, e.global_position, e.transaction_id::text, e.occurred_at, e.recorded_at
    FROM events e
   WHERE e.tenant_id = p_tenant_id AND e.stream_id = p_stream_id
     AND e.stream_version > v_from
     AND (p_until_version IS NULL OR e.stream_version <= p_until_version)
   ORDER BY e.stream_version;
END
$$;

GRANT EXECUTE ON FUNCTION append_to_stream(uuid, uuid, text, text, integer, jsonb) TO eventline_service;
GRANT EXECUTE ON FUNCTION stored_append(uuid, jsonb) TO eventline_service;
GRANT EXECUTE ON FUNCTION load_stream(uuid, uuid, integer, integer) TO eventline_service;

-- Down Migration
DROP FUNCTION load_stream(uuid, uuid, integer, integer);
DROP FUNCTION append_to_stream(uuid, uuid, text, text, integer, jsonb);
DROP FUNCTION stored_append(uuid, jsonb);
