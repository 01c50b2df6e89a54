-- Up Migration

-- The outbox relay's group role. Deployments grant it to the relay's login role
-- (the local stack: eventline_relay_app). It publishes every tenant's events, so
-- its policies show it every tenant's outbox and events, and let it delete outbox
-- rows (deleting a published row is the prune); it can change nothing else.
DO $$
BEGIN
  CREATE ROLE eventline_relay NOLOGIN NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created already, by provisioning or by a migration of another database
END
$$;

GRANT USAGE ON SCHEMA public TO eventline_relay;

-- Tenants are hashed into a fixed number of lanes. A relay replica publishes the
-- lanes it holds a lease on; within a lane rows go out in (transaction_id,
-- global_position) order, so a tenant's events keep their commit order whichever
-- replica publishes them. 64 lanes: enough to spread over a handful of replicas,
-- few enough that every lane's query stays cheap. Changing the count re-hashes
-- tenants, so it may only change while the outbox is empty.
ALTER TABLE outbox
  ADD COLUMN lane smallint GENERATED ALWAYS AS ((hashtext(tenant_id::text) & 2147483647) % 64) STORED;
CREATE INDEX outbox_lane_commit_order ON outbox (lane, transaction_id, global_position);

GRANT SELECT, DELETE ON outbox TO eventline_relay;
GRANT SELECT ON events TO eventline_relay;
CREATE POLICY relay_reads_every_tenant ON outbox FOR SELECT TO eventline_relay USING (true);
CREATE POLICY relay_prunes_published ON outbox FOR DELETE TO eventline_relay USING (true);
CREATE POLICY relay_reads_every_tenant ON events FOR SELECT TO eventline_relay USING (true);

-- One row per lane: who may publish it, until when. A replica claims or renews
-- with UPDATE … RETURNING (no session state, so it works behind a
-- transaction-pooling PgBouncer); a lapsed lease is free for anyone. epoch grows
-- with every change of holder, so a replica can tell it lost a lane in between.
CREATE TABLE relay_lanes (
  lane smallint PRIMARY KEY CHECK (lane >= 0 AND lane < 64),
  holder text,
  epoch bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO relay_lanes (lane) SELECT generate_series(0, 63);

-- The replicas alive now, so each can take its fair share of lanes and no more.
CREATE TABLE relay_replicas (
  replica text PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now()
);

-- Tenants whose next event cannot be encoded: their lane's other tenants go on,
-- theirs waits here until an operator fixes the schema and deletes the row (or a
-- relay restarts, which retries every halted tenant once).
CREATE TABLE relay_halted_tenants (
  tenant_id uuid PRIMARY KEY,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  reason text NOT NULL,
  halted_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, UPDATE ON relay_lanes TO eventline_relay;
GRANT SELECT, INSERT, UPDATE, DELETE ON relay_replicas TO eventline_relay;
GRANT SELECT, INSERT, UPDATE, DELETE ON relay_halted_tenants TO eventline_relay;

-- Wakes the relay when rows arrive: one notification per appending statement,
-- naming the lanes it wrote to, delivered at commit. A relay that misses one
-- (reconnecting, or behind a pooler that drops LISTEN) still polls.
CREATE FUNCTION notify_outbox_lanes() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM pg_notify('eventline_outbox', coalesce((SELECT string_agg(DISTINCT lane::text, ',') FROM inserted), ''));
  RETURN NULL;
END
$$;
CREATE TRIGGER outbox_wakes_the_relay AFTER INSERT ON outbox
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox_lanes();

-- Down Migration
DROP TRIGGER outbox_wakes_the_relay ON outbox;
DROP FUNCTION notify_outbox_lanes();
DROP TABLE relay_halted_tenants;
DROP TABLE relay_replicas;
DROP TABLE relay_lanes;
DROP POLICY relay_reads_every_tenant ON events;
DROP POLICY relay_prunes_published ON outbox;
DROP POLICY relay_reads_every_tenant ON outbox;
REVOKE ALL ON events FROM eventline_relay;
REVOKE ALL ON outbox FROM eventline_relay;
DROP INDEX outbox_lane_commit_order;
ALTER TABLE outbox DROP COLUMN lane;
