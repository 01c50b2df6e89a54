-- Up Migration

-- Every key of a tenant table carries tenant_id, so the table stays
-- distributable by tenant (Citus needs the distribution column in each
-- primary and unique key; docs/scaling.md). tenant_id goes second: lookups by
-- position (events_at, the relay's page) and by event id (retries of an
-- append, dead-letter replays) still use the same indexes, and appends
-- maintain as many indexes as before. An event id is now unique within its
-- tenant: the append's duplicate check already looked only there (row-level
-- security), and another tenant's id no longer makes an append fail.
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (global_position, tenant_id);
ALTER TABLE events DROP CONSTRAINT events_event_id_unique;
ALTER TABLE events ADD CONSTRAINT events_event_id_unique UNIQUE (event_id, tenant_id);

-- Down Migration
ALTER TABLE events DROP CONSTRAINT events_event_id_unique;
ALTER TABLE events ADD CONSTRAINT events_event_id_unique UNIQUE (event_id);
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (global_position);
