-- Up Migration

-- Recovering one tenant as of a point in time (docs/recovery.md, "Recovering
-- one tenant") replaces that tenant's events with a restored copy's. Three
-- things make that possible while every other tenant keeps writing.

-- 1. The tenant's appends and a recovery exclude each other. Every append
-- writes its stream's row first; this trigger makes that write hold the
-- tenant's write lock shared, and a recovery holds it exclusively. An append
-- meeting a recovery fails at once (SQLSTATE 55P03) instead of waiting: a
-- batch of appends of many tenants would otherwise keep the others waiting
-- too, and it falls back to one append at a time, of which only the
-- recovered tenant's fail. Appends of other tenants sharing the lock's hash
-- (one in 2^64) would fail too.
CREATE FUNCTION tenant_write_lock_key(p_tenant uuid) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT hashtextextended('eventline.tenant-writes:' || p_tenant::text, 0) $$;

CREATE FUNCTION hold_tenant_write_lock() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock_shared(tenant_write_lock_key(NEW.tenant_id)) THEN
    RAISE EXCEPTION 'tenant % is being recovered: its appends are refused until the recovery ends', NEW.tenant_id
      USING ERRCODE = 'lock_not_available';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER streams_hold_tenant_write_lock BEFORE INSERT OR UPDATE ON streams
  FOR EACH ROW EXECUTE FUNCTION hold_tenant_write_lock();
GRANT EXECUTE ON FUNCTION tenant_write_lock_key(uuid) TO eventline_service;

-- 2. Events stay append-only, except that a recovery, naming its tenant in
-- eventline.recovering_tenant for its transaction, deletes that tenant's
-- events the restored copy does not have. Only the schema owner can: no
-- service role is granted DELETE on events, so the setting opens nothing to them.
CREATE OR REPLACE FUNCTION refuse_event_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.tenant_id::text = current_setting('eventline.recovering_tenant', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events are append-only: % on events is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

-- 3. The events a recovery took out, with their places in the commit order:
-- their records stay on Kafka, and the relay's check of the store against
-- Kafka at start, and the projector's lookup of each record's place, find
-- them here instead of taking them for a store restored behind Kafka.
CREATE TABLE events_withdrawn (
  tenant_id uuid NOT NULL,
  event_id uuid NOT NULL,
  global_position bigint NOT NULL,
  transaction_id xid8 NOT NULL,
  withdrawn_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, tenant_id)
);
CREATE INDEX events_withdrawn_position ON events_withdrawn (global_position);

DO $$
BEGIN
  CREATE ROLE eventline_projector NOLOGIN NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created already, by provisioning or by the read models' migrations
END
$$;
GRANT SELECT ON events_withdrawn TO eventline_relay, eventline_projector;

-- Down Migration
DROP TABLE events_withdrawn;
CREATE OR REPLACE FUNCTION refuse_event_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % on events is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER streams_hold_tenant_write_lock ON streams;
DROP FUNCTION hold_tenant_write_lock();
DROP FUNCTION tenant_write_lock_key(uuid);
