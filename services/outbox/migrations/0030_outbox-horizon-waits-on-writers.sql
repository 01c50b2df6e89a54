-- Up Migration

-- The relay's horizon (0013) waited on every running transaction of this
-- database but the relay's own, the projector's read-model transactions
-- included, though they cannot add an outbox row: at 400 commands/s the
-- projector held back two thirds of the relay's reads that found nothing
-- publishable, each waiting out a projector round. It now waits only on
-- sessions whose login could write the outbox: a role with INSERT on it, or a
-- member of one (who could SET ROLE to it); superusers have every privilege.
-- A session PostgreSQL shows without a user, a transaction already gone from
-- pg_stat_activity and a prepared one still count, as before. (No SECURITY
-- DEFINER function writes the outbox: a login without the privilege has no
-- way to add a row.)
CREATE OR REPLACE FUNCTION relay_outbox_horizon() RETURNS xid8
  LANGUAGE plpgsql STABLE
  AS $$
BEGIN
  RETURN coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE xid(x) NOT IN (
        SELECT a.backend_xid FROM pg_stat_activity a
         WHERE a.backend_xid IS NOT NULL
           AND (a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
                OR (a.usesysid IS NOT NULL
                    AND NOT EXISTS (
                      SELECT FROM pg_roles w
                       WHERE pg_has_role(a.usesysid, w.oid, 'MEMBER')
                         AND has_table_privilege(w.oid, 'outbox', 'INSERT')))))),
    pg_snapshot_xmax(pg_current_snapshot()));
END
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION relay_outbox_horizon() RETURNS xid8
  LANGUAGE plpgsql STABLE
  AS $$
BEGIN
  RETURN coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE xid(x) NOT IN (
        SELECT a.backend_xid FROM pg_stat_activity a
         WHERE a.backend_xid IS NOT NULL
           AND (a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
                OR a.usename = session_user))),
    pg_snapshot_xmax(pg_current_snapshot()));
END
$$;
