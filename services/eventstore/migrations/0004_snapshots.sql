-- Up Migration

-- The latest snapshot of a stream's state. schema_version is the aggregate's
-- snapshot version when it was taken: a reader whose current version differs
-- ignores the snapshot and replays from the first event.
CREATE TABLE snapshots (
  tenant_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  stream_type text NOT NULL,
  stream_version integer NOT NULL CHECK (stream_version > 0),
  schema_version integer NOT NULL,
  state jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, stream_id)
);

ALTER TABLE snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON snapshots
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON snapshots TO eventline_service;

-- Down Migration
DROP TABLE snapshots;
