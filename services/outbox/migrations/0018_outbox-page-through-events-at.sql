-- Up Migration

-- The page as before (migration 0013), but the events come from the event
-- store's events_at (migration 0016) instead of its table: the page's rows are
-- chosen on the outbox alone, then their events read in one call.
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
