-- Up Migration

-- One row per projection being rebuilt (or last rebuilt): where its shadow
-- tables are, how far the replay into them has gone. Written in the same
-- transaction as the shadow rows, so an interrupted rebuild resumes exactly
-- where its last committed page left off.
CREATE TABLE readmodels.rebuilds (
  projection text PRIMARY KEY,
  shadow_schema text NOT NULL,
  state text NOT NULL CHECK (state IN ('building', 'swapped')),
  -- The pass under way: it applies each tenant's events up to the target its
  -- row in rebuild_tenants holds, in commit order, after this point (every
  -- event at or before it is applied; see services/readmodels/rebuild/).
  pass integer NOT NULL DEFAULT 1,
  cursor_transaction_id xid8 NOT NULL DEFAULT '0',
  cursor_position bigint NOT NULL DEFAULT 0,
  events_applied bigint NOT NULL DEFAULT 0,
  -- The projection's events up to the live watermarks when the pass began: the
  -- denominator of the progress ratio (the live projection keeps moving on).
  events_total bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  swapped_at timestamptz
);
-- The projector's /metrics reports the progress; it reads, never writes.
GRANT SELECT ON readmodels.rebuilds TO eventline_projector;

-- Per rebuild and tenant: what the shadow tables hold (every event up to
-- `applied`) and what the pass under way brings them to (`target`, the live
-- watermark when the pass began). Only the owner (the CLI) reads or writes it.
CREATE TABLE readmodels.rebuild_tenants (
  projection text NOT NULL REFERENCES readmodels.rebuilds ON DELETE CASCADE,
  tenant_id uuid NOT NULL,
  applied_transaction_id xid8 NOT NULL DEFAULT '0',
  applied_position bigint NOT NULL DEFAULT 0,
  target_transaction_id xid8 NOT NULL,
  target_position bigint NOT NULL,
  PRIMARY KEY (projection, tenant_id)
);
ALTER TABLE readmodels.rebuild_tenants ENABLE ROW LEVEL SECURITY;

-- Down Migration
DROP TABLE readmodels.rebuild_tenants;
DROP TABLE readmodels.rebuilds;
