-- Up Migration

-- A halted tenant's rows stay in the outbox until an operator resumes it, and
-- the page left them out without a trace, so the relay's cursor never moved past
-- those after its last row handed out: with nothing else waiting, every read
-- went from the oldest row through the whole backlog again, each quiet poll
-- interval. 250,000 such rows made that an index scan of 34 ms, once a second,
-- growing with the backlog.
--
-- The page now ends with one more row when tenants are halted: their ids, and,
-- when the page is not full (its scan went to the end of the lanes' rows), the
-- last row of those lanes, which the relay's cursor may then pass, as it passes
-- halted rows between the rows it hands out. The relay learns which tenants it
-- passed in the page's own snapshot, so it can tell one resumed since.
DROP FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer);
DROP FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer);

-- The last row of the lanes after the cursor: a backward scan of
-- outbox_commit_order, one way to run as in 0039.
CREATE FUNCTION relay_outbox_page_end(
  p_lanes smallint[], p_after_transaction xid8, p_after_position bigint)
  RETURNS TABLE (global_position bigint, transaction_id xid8)
  LANGUAGE plpgsql STABLE
  SET enable_seqscan = off SET enable_bitmapscan = off
  AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    SELECT o.global_position, o.transaction_id
      FROM outbox o
     WHERE o.lane = ANY(p_lanes)
       AND (o.transaction_id, o.global_position) > (p_after_transaction, p_after_position)
     ORDER BY o.transaction_id DESC, o.global_position DESC
     LIMIT 1;
END
$$;

REVOKE ALL ON FUNCTION relay_outbox_page_end(smallint[], xid8, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_page_end(smallint[], xid8, bigint) TO eventline_relay;

CREATE FUNCTION relay_outbox_page(
  p_lanes smallint[], p_after_transaction xid8, p_after_position bigint, p_limit integer)
  RETURNS TABLE (global_position bigint, transaction_id text, tenant_id uuid, context text,
                 lane smallint, enqueued_at timestamptz, event_id uuid, event_type text,
                 schema_version integer, stream_type text, stream_id uuid, stream_version integer,
                 data jsonb, metadata jsonb, correlation_id text, causation_id text,
                 occurred_at timestamptz, horizon text, halted_tenants uuid[])
  LANGUAGE plpgsql STABLE
  AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
    WITH page AS MATERIALIZED (
      SELECT * FROM relay_outbox_page_rows(p_lanes, p_after_transaction, p_after_position, p_limit)),
    halted AS MATERIALIZED (
      SELECT array_agg(h.tenant_id) AS tenants FROM relay_halted_tenants h),
    rows AS (
      SELECT p.global_position, p.transaction_id, p.tenant_id, p.context, p.lane, p.enqueued_at,
             e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id, e.stream_version,
             e.data, e.metadata, e.correlation_id, e.causation_id, e.occurred_at,
             NULL::uuid[] AS halted_tenants
        FROM page p
        JOIN events_at((SELECT array_agg(q.global_position) FROM page q)) e
          ON e.global_position = p.global_position
      UNION ALL
      SELECT pass.global_position, pass.transaction_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, h.tenants
        FROM halted h
        LEFT JOIN relay_outbox_page_end(p_lanes, p_after_transaction, p_after_position) pass
          ON (SELECT count(*) FROM page) < p_limit
       WHERE h.tenants IS NOT NULL)
    SELECT r.global_position, r.transaction_id::text, r.tenant_id, r.context, r.lane, r.enqueued_at,
           r.event_id, r.event_type, r.schema_version, r.stream_type, r.stream_id, r.stream_version,
           r.data, r.metadata, r.correlation_id, r.causation_id, r.occurred_at,
           CASE WHEN r.transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
                THEN (SELECT relay_outbox_horizon())::text END,
           r.halted_tenants
      FROM rows r
     ORDER BY r.transaction_id NULLS LAST, r.global_position NULLS LAST, r.halted_tenants NULLS FIRST;
END
$$;

REVOKE ALL ON FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer) TO eventline_relay;

CREATE FUNCTION relay_outbox_prune_and_page(
  p_published bigint[], p_lanes smallint[], p_after_transaction xid8, p_after_position bigint,
  p_limit integer)
  RETURNS TABLE (global_position bigint, transaction_id text, tenant_id uuid, context text,
                 lane smallint, enqueued_at timestamptz, event_id uuid, event_type text,
                 schema_version integer, stream_type text, stream_id uuid, stream_version integer,
                 data jsonb, metadata jsonb, correlation_id text, causation_id text,
                 occurred_at timestamptz, horizon text, halted_tenants uuid[])
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

REVOKE ALL ON FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer) TO eventline_relay;

-- Down Migration
DROP FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer);
DROP FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer);
DROP FUNCTION relay_outbox_page_end(smallint[], xid8, bigint);

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

REVOKE ALL ON FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_page(smallint[], xid8, bigint, integer) TO eventline_relay;

CREATE FUNCTION relay_outbox_prune_and_page(
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

REVOKE ALL ON FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer) TO eventline_relay;
