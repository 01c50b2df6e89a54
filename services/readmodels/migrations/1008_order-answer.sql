-- Up Migration

-- GetOrder's answer in one round trip where a tenant transaction took four
-- (BEGIN, the watermark, the order, COMMIT): on a busy machine each is a wait
-- for a core at both ends, and read-your-writes queries are mostly GetOrders.
-- It acts for p_tenant, so row-level security holds both reads to that tenant;
-- the two share one statement's snapshot, so the watermark never claims more
-- than the order shows. One row always: the watermark's and the order's
-- columns null where there is none.
CREATE FUNCTION readmodels.order_answer(p_projection text, p_tenant uuid, p_order uuid)
  RETURNS TABLE (mark_transaction_id text, mark_position bigint,
                 order_id uuid, customer_id text, customer_email text, shipping_address text,
                 status text, currency text, items jsonb, total text, tracking_number text,
                 cancellation_reason text, placed_position bigint, placed_at timestamptz,
                 updated_at timestamptz, version integer)
  LANGUAGE plpgsql VOLATILE
  SET search_path = readmodels, public, pg_temp
  AS $$
  BEGIN
    PERFORM set_config('eventline.tenant_id', p_tenant::text, true);
    RETURN QUERY
      SELECT w.transaction_id::text, w.global_position,
             o.order_id, o.customer_id, o.customer_email, o.shipping_address, o.status, o.currency,
             o.items, o.total::text, o.tracking_number, o.cancellation_reason, o.placed_position,
             o.placed_at, o.updated_at, o.version
        FROM (VALUES (1)) AS one (n)
        LEFT JOIN readmodels.watermarks w ON w.projection = p_projection AND w.tenant_id = p_tenant
        LEFT JOIN readmodels.orders o ON o.tenant_id = p_tenant AND o.order_id = p_order;
  END
  $$;
REVOKE ALL ON FUNCTION readmodels.order_answer(text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readmodels.order_answer(text, uuid, uuid) TO eventline_service;

-- Down Migration
DROP FUNCTION readmodels.order_answer(text, uuid, uuid);
