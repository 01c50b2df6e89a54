-- Up Migration

-- The outbox's key carries tenant_id, as the events' does (migration 0021), so
-- the outbox can be distributed by tenant beside them (docs/scaling.md). The
-- position stays first: the prune deletes by position and uses the same index.
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (global_position, tenant_id);

-- Down Migration
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
ALTER TABLE outbox ADD CONSTRAINT outbox_pkey PRIMARY KEY (global_position);
