-- Up Migration

-- The relay's delete and page must read only the rows they touch, however many
-- dead rows the outbox holds. At 2,000 events/s the relay deletes 2,000 rows a
-- second, and they stay in the heap and the indexes until autovacuum's next
-- visit (autovacuum_naptime, a minute by default). The table's statistics are
-- from the few hundred live rows such a visit finds, and a plan PL/pgSQL keeps
-- for the session is costed on the heap's size when it was made. So the page
-- and the delete were sequential scans: in a `relay` bench run (auto_explain)
-- they read 98 buffers after a vacuum and 517 sixty seconds later, and their
-- time grew with the dead rows. With sequential scans merely disfavoured, the
-- planner took a bitmap scan of outbox_commit_order for the delete, its second
-- column: 23,000 buffers and 125 ms for 233 rows.
--
-- Each statement on the outbox is now alone in a function whose planner
-- settings leave it one way to run: the delete (relay_outbox_prune) a probe of
-- the primary key for each position, the page's rows (relay_outbox_page_rows)
-- an ordered scan of outbox_commit_order from the cursor, stopping at the
-- limit. A function's settings hold for everything it calls, so the page's
-- events (events_at) and horizon are read outside them, planned as before. The
-- page's rows leave out halted tenants with NOT IN, a hashed subplan that reads
-- relay_halted_tenants once per page: NOT EXISTS became a probe of its key for
-- every row once sequential scans were off (0.16 ms a call against 0.06 ms for
-- 181 rows, a throw-away loop of 3,000 calls). tenant_id is its key, never
-- null, so NOT IN means what NOT EXISTS did.
CREATE FUNCTION relay_outbox_prune(p_published bigint[]) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET enable_seqscan = off SET enable_bitmapscan = off
  SET enable_hashjoin = off SET enable_mergejoin = off
  AS $$
BEGIN
  DELETE FROM outbox o USING unnest(p_published) AS published(position)
   WHERE o.global_position = published.position;
END
$$;

REVOKE ALL ON FUNCTION relay_outbox_prune(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_prune(bigint[]) TO eventline_relay;

CREATE OR REPLACE FUNCTION relay_outbox_prune_and_page(
  p_published bigint[], p_lanes smallint[], p_after_transaction xid8, p_after_position bigint,
  p_limit integer)
  RETURNS TABLE (global_position bigint, transaction_id text, tenant_id uuid, context text,
                 lane smallint, enqueued_at timestamptz, event_id uuid, event_type text,
                 schema_version integer, stream_type text, stream_id uuid, stream_version integer,
                 data jsonb, metadata jsonb, correlation_id text, causation_id text,
                 occurred_at timestamptz, horizon text)
  LANGUAGE plpgsql VOLATILE
  AS $$
BEGIN
  IF cardinality(p_published) > 0 THEN
    PERFORM relay_outbox_prune(p_published);
  END IF;
  RETURN QUERY
    SELECT * FROM relay_outbox_page(p_lanes, p_after_transaction, p_after_position, p_limit);
END
$$;

CREATE FUNCTION relay_outbox_page_rows(
  p_lanes smallint[], p_after_transaction xid8, p_after_position bigint, p_limit integer)
  RETURNS TABLE (global_position bigint, transaction_id xid8, tenant_id uuid, context text,
                 lane smallint, enqueued_at timestamptz)
  LANGUAGE plpgsql STABLE
  SET enable_seqscan = off SET enable_bitmapscan = off
  AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    SELECT o.global_position, o.transaction_id, o.tenant_id, o.context, o.lane, o.enqueued_at
      FROM outbox o
     WHERE o.lane = ANY(p_lanes)
       AND (o.transaction_id, o.global_position) > (p_after_transaction, p_after_position)
       AND o.tenant_id NOT IN (SELECT h.tenant_id FROM relay_halted_tenants h)
     ORDER BY o.transaction_id, o.global_position
     LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION relay_outbox_page_rows(smallint[], xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_page_rows(smallint[], xid8, bigint, integer) TO eventline_relay;

CREATE OR REPLACE FUNCTION relay_outbox_page(
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
    WITH page AS MATERIALIZED (
      SELECT * FROM relay_outbox_page_rows(p_lanes, p_after_transaction, p_after_position, p_limit))
    SELECT p.global_position, p.transaction_id::text, p.tenant_id, p.context, p.lane, p.enqueued_at,
           e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id, e.stream_version,
           e.data, e.metadata, e.correlation_id, e.causation_id, e.occurred_at,
           CASE WHEN p.transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
                THEN (SELECT relay_outbox_horizon())::text END
      FROM page p
      JOIN events_at((SELECT array_agg(q.global_position) FROM page q)) e
        ON e.global_position = p.global_position
     ORDER BY p.transaction_id, p.global_position;
END
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION relay_outbox_page(
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
    WITH page AS MATERIALIZED (
      SELECT o.global_position, o.transaction_id, o.tenant_id, o.context, o.lane, o.enqueued_at
        FROM outbox o
       WHERE o.lane = ANY(p_lanes)
         AND (o.transaction_id, o.global_position) > (p_after_transaction, p_after_position)
         AND NOT EXISTS (SELECT FROM relay_halted_tenants h WHERE h.tenant_id = o.tenant_id)
       ORDER BY o.transaction_id, o.global_position
       LIMIT p_limit)
    SELECT p.global_position, p.transaction_id::text, p.tenant_id, p.context, p.lane, p.enqueued_at,
           e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id, e.stream_version,
           e.data, e.metadata, e.correlation_id, e.causation_id, e.occurred_at,
           CASE WHEN p.transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
                THEN (SELECT relay_outbox_horizon())::text END
      FROM page p
      JOIN events_at((SELECT array_agg(q.global_position) FROM page q)) e
        ON e.global_position = p.global_position
     ORDER BY p.transaction_id, p.global_position;
END
$$;

CREATE OR REPLACE FUNCTION relay_outbox_prune_and_page(
  p_published bigint[], p_lanes smallint[], p_after_transaction xid8, p_after_position bigint,
  p_limit integer)
  RETURNS TABLE (global_position bigint, transaction_id text, tenant_id uuid, context text,
                 lane smallint, enqueued_at timestamptz, event_id uuid, event_type text,
                 schema_version integer, stream_type text, stream_id uuid, stream_version integer,
                 data jsonb, metadata jsonb, correlation_id text, causation_id text,
                 occurred_at timestamptz, horizon text)
  LANGUAGE plpgsql VOLATILE
  AS $$
BEGIN
  IF cardinality(p_published) > 0 THEN
    DELETE FROM outbox o WHERE o.global_position = ANY(p_published);
  END IF;
  RETURN QUERY
    SELECT * FROM relay_outbox_page(p_lanes, p_after_transaction, p_after_position, p_limit);
END
$$;

DROP FUNCTION relay_outbox_page_rows(smallint[], xid8, bigint, integer);
DROP FUNCTION relay_outbox_prune(bigint[]);
