-- Up Migration

-- The relay reads every lane it holds in one query, in (transaction_id,
-- global_position) order from a cursor, instead of one query per lane: the
-- per-lane index cannot give that order for several lanes without sorting the
-- whole backlog, so it makes way for one on the commit order alone (the lane
-- is checked on the row; appends still maintain the same number of indexes).
CREATE INDEX outbox_commit_order ON outbox (transaction_id, global_position);
DROP INDEX outbox_lane_commit_order;

-- The oldest transaction that could still add an outbox row sorting before a
-- committed one: the oldest running transaction of the caller's snapshot,
-- leaving out those PostgreSQL shows running in another database or under the
-- caller's own login (the relay's, which cannot write the outbox), else the
-- snapshot's xmax. The plain snapshot xmin is server-wide: any long write in
-- any database of the server would hold the relay back. A transaction still in
-- the snapshot but already gone from pg_stat_activity counts (it may have
-- committed rows the snapshot cannot see), and so do prepared transactions,
-- which have no backend. pg_stat_activity shows datid, usename and backend_xid
-- of every session to every role. STABLE: it runs in the caller's snapshot.
CREATE FUNCTION relay_outbox_horizon() RETURNS xid8
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

-- One page of the relay's read: the lanes' rows after the cursor, in commit
-- order, with their events, and the horizon on every row from the first one
-- that reaches the plain xmin (older rows need no more, and pg_stat_activity
-- is read only then). A plpgsql function keeps its plan across calls: planning
-- this query cost more than running it for a page of a few rows.
CREATE FUNCTION relay_outbox_page(
  p_lanes smallint[], p_after_transaction xid8, p_after_position bigint, p_limit integer)
  RETURNS TABLE (global_position bigint, transaction_id text, tenant_id uuid, context text,
                 lane smallint, enqueued_at timestamptz, event_id uuid, event_type text,
                 schema_version integer, stream_type text, stream_id uuid, stream_version integer,
                 data jsonb, metadata jsonb, correlation_id text, causation_id text,
                 occurred_at timestamptz, horizon text)
  LANGUAGE plpgsql STABLE
  AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    SELECT o.global_position, o.transaction_id::text, o.tenant_id, o.context, o.lane, o.enqueued_at,
           e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id, e.stream_version,
           e.data, e.metadata, e.correlation_id, e.causation_id, e.occurred_at,
           CASE WHEN o.transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
                THEN (SELECT relay_outbox_horizon())::text END
      FROM outbox o
      JOIN events e ON e.global_position = o.global_position
     WHERE o.lane = ANY(p_lanes)
       AND (o.transaction_id, o.global_position) > (p_after_transaction, p_after_position)
       AND NOT EXISTS (SELECT FROM relay_halted_tenants h WHERE h.tenant_id = o.tenant_id)
     ORDER BY o.transaction_id, o.global_position
     LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION relay_outbox_horizon() FROM PUBLIC;
REVOKE ALL ON FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_horizon() TO eventline_relay;
GRANT EXECUTE ON FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer) TO eventline_relay;

-- Down Migration
DROP FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer);
DROP FUNCTION relay_outbox_horizon();
CREATE INDEX outbox_lane_commit_order ON outbox (lane, transaction_id, global_position);
DROP INDEX outbox_commit_order;
