-- Up Migration

-- The number of lanes, written once: the outbox's lane column, relay_lanes'
-- check, the doorbell and the relay (which reads it with each heartbeat) all
-- take it from here. Changing it re-hashes tenants, so only with the outbox
-- empty and no relay running, in a migration that also re-creates the lane
-- column and relay_lanes' rows. SQL-standard bodies: their references are
-- bound now, so a restore (search_path empty) still computes the column.
CREATE FUNCTION outbox_lane_count() RETURNS smallint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN 64;

-- A tenant's lane: the same hash as before, so every tenant keeps its lane.
CREATE FUNCTION outbox_lane(p_tenant uuid) RETURNS smallint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ((hashtext(p_tenant::text) & 2147483647) % outbox_lane_count())::smallint;

-- PostgreSQL 15 cannot change a generated column's expression: it is made
-- again (the outbox holds only the backlog, so the rewrite is short).
ALTER TABLE outbox DROP COLUMN lane;
ALTER TABLE outbox ADD COLUMN lane smallint GENERATED ALWAYS AS (outbox_lane(tenant_id)) STORED;

ALTER TABLE relay_lanes
  DROP CONSTRAINT relay_lanes_lane_check,
  ADD CONSTRAINT relay_lanes_lane_check CHECK (lane >= 0 AND lane < outbox_lane_count());

CREATE OR REPLACE FUNCTION ring_outbox_doorbell(p_tenants uuid[]) RETURNS void
  LANGUAGE sql
  AS $$
    SELECT pg_notify('eventline_outbox',
      (SELECT string_agg(DISTINCT outbox_lane(t)::text, ',') FROM unnest(p_tenants) t))
  $$;

-- Down Migration
CREATE OR REPLACE FUNCTION ring_outbox_doorbell(p_tenants uuid[]) RETURNS void
  LANGUAGE sql
  AS $$
    SELECT pg_notify('eventline_outbox',
      (SELECT string_agg(DISTINCT ((hashtext(t::text) & 2147483647) % 64)::text, ',') FROM unnest(p_tenants) t))
  $$;
ALTER TABLE relay_lanes
  DROP CONSTRAINT relay_lanes_lane_check,
  ADD CONSTRAINT relay_lanes_lane_check CHECK (lane >= 0 AND lane < 64);
ALTER TABLE outbox DROP COLUMN lane;
ALTER TABLE outbox
  ADD COLUMN lane smallint GENERATED ALWAYS AS ((hashtext(tenant_id::text) & 2147483647) % 64) STORED;
DROP FUNCTION outbox_lane(uuid);
DROP FUNCTION outbox_lane_count();
