-- Up Migration

-- The event store's two reads behind a read-your-writes wait, each in one round
-- trip instead of a tenant transaction's four (BEGIN, the tenant, the read,
-- COMMIT): a wait asks them on every look, under load. Each acts for p_tenant,
-- so row-level security holds it to that tenant as inTenantTransaction does;
-- called alone, the setting ends with the statement's own transaction.

-- The transaction id of the tenant's event at a position (its place in the
-- tenant's commit order); null when the position is not one of its events.
CREATE FUNCTION tenant_event_transaction(p_tenant uuid, p_position bigint) RETURNS text
  LANGUAGE plpgsql VOLATILE
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    PERFORM set_config('eventline.tenant_id', p_tenant::text, true);
    RETURN (SELECT e.transaction_id::text FROM events e
             WHERE e.tenant_id = p_tenant AND e.global_position = p_position);
  END
  $$;
REVOKE ALL ON FUNCTION tenant_event_transaction(uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_event_transaction(uuid, bigint) TO eventline_service;

-- Whether the tenant has an event of these types after one point of its commit
-- order and up to another: a short range scan of its commit-order index.
CREATE FUNCTION tenant_has_events_between(
  p_tenant uuid, p_after_transaction xid8, p_after_position bigint,
  p_upto_transaction xid8, p_upto_position bigint, p_types text[]
) RETURNS boolean
  LANGUAGE plpgsql VOLATILE
  SET search_path = public, pg_temp
  AS $$
  BEGIN
    PERFORM set_config('eventline.tenant_id', p_tenant::text, true);
    RETURN EXISTS (
      SELECT FROM events e
       WHERE e.tenant_id = p_tenant
         AND (e.transaction_id, e.global_position) > (p_after_transaction, p_after_position)
         AND (e.transaction_id, e.global_position) <= (p_upto_transaction, p_upto_position)
         AND e.event_type = ANY(p_types));
  END
  $$;
REVOKE ALL ON FUNCTION tenant_has_events_between(uuid, xid8, bigint, xid8, bigint, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_has_events_between(uuid, xid8, bigint, xid8, bigint, text[]) TO eventline_service;

-- Down Migration
DROP FUNCTION tenant_has_events_between(uuid, xid8, bigint, xid8, bigint, text[]);
DROP FUNCTION tenant_event_transaction(uuid, bigint);
