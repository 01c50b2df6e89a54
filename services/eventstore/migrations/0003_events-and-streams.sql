-- Up Migration

-- One row per stream (aggregate instance): its type and current version. The
-- append locks this row first, so appends to one stream serialise and take
-- transaction ids in the order they commit.
CREATE TABLE streams (
  tenant_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  stream_type text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, stream_id)
);

-- The source of truth, append-only. global_position comes from a sequence, so it
-- is unique and increasing in insert order but NOT in commit order; catch-up
-- readers order by (transaction_id, global_position) and read only transactions
-- older than the oldest one still running (see read-all.ts).
CREATE TABLE events (
  global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  stream_type text NOT NULL,
  stream_version integer NOT NULL CHECK (stream_version > 0),
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  schema_version integer NOT NULL CHECK (schema_version > 0),
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  correlation_id text,
  causation_id text,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT events_stream_version_unique UNIQUE (tenant_id, stream_id, stream_version),
  CONSTRAINT events_event_id_unique UNIQUE (event_id)
);

CREATE INDEX events_commit_order ON events (transaction_id, global_position);
CREATE INDEX events_tenant_commit_order ON events (tenant_id, transaction_id, global_position);
CREATE INDEX events_correlation ON events (tenant_id, correlation_id, global_position)
  WHERE correlation_id IS NOT NULL;

-- Append-only, enforced by the database for every role, owner included.
CREATE FUNCTION refuse_event_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % on events is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_are_append_only_rows BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
CREATE TRIGGER events_are_append_only_table BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();

ALTER TABLE streams ENABLE ROW LEVEL SECURITY;
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON streams
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());

GRANT SELECT, INSERT, UPDATE ON streams TO eventline_service;
GRANT SELECT, INSERT ON events TO eventline_service;

-- Down Migration
DROP TABLE events;
DROP FUNCTION refuse_event_change();
DROP TABLE streams;
