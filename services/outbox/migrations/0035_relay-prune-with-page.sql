-- Up Migration

-- The relay's read of its next page, with the delete of the rows Kafka has
-- acknowledged since its last read: one round trip per sweep instead of two.
-- VOLATILE, so each statement runs in a snapshot of its own taken after the
-- one before: the page is read after the delete and cannot hand out a row the
-- call removed (relay_outbox_page, being STABLE, runs in the snapshot of the
-- statement that calls it). Both run in the call's one transaction: a call
-- that fails deletes nothing, and the relay keeps the positions for its next.
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
    DELETE FROM outbox o WHERE o.global_position = ANY(p_published);
  END IF;
  RETURN QUERY
    SELECT * FROM relay_outbox_page(p_lanes, p_after_transaction, p_after_position, p_limit);
END
$$;

REVOKE ALL ON FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer)
  TO eventline_relay;

-- Down Migration
DROP FUNCTION relay_outbox_prune_and_page(bigint[], smallint[], xid8, bigint, integer);
