-- Up Migration

-- The tenant's event at a position as a point of its commit order, and its
-- type: a read-your-writes wait whose projection handles that type knows,
-- while its watermark is behind the point, that the event itself is not
-- applied yet, and needs no look for events in between. Null when the
-- position is not one of the tenant's events. tenant_event_transaction
-- stays for gateways of the release before.
CREATE FUNCTION tenant_event_point(p_tenant uuid, p_position bigint)
  RETURNS TABLE (transaction_id text, event_type text)
  LANGUAGE plpgsql VOLATILE
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    PERFORM set_config('eventline.tenant_id', p_tenant::text, true);
    RETURN QUERY SELECT e.transaction_id::text, e.event_type FROM events e
                  WHERE e.tenant_id = p_tenant AND e.global_position = p_position;
  END
  $$;
REVOKE ALL ON FUNCTION tenant_event_point(uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_event_point(uuid, bigint) TO eventline_service;

-- Down Migration
DROP FUNCTION tenant_event_point(uuid, bigint);
