-- Up Migration

-- A projection's watermark for a tenant in one round trip, for read-your-writes
-- waits, which read it on every look: a tenant transaction costs four. It acts
-- for p_tenant, so row-level security holds it to that tenant.
CREATE FUNCTION readmodels.tenant_watermark(p_projection text, p_tenant uuid)
  RETURNS TABLE (transaction_id text, global_position bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = readmodels, public, pg_temp
  AS $$
  BEGIN
    PERFORM set_config('eventline.tenant_id', p_tenant::text, true);
    RETURN QUERY
      SELECT w.transaction_id::text, w.global_position FROM readmodels.watermarks w
       WHERE w.projection = p_projection AND w.tenant_id = p_tenant;
  END
  $$;
REVOKE ALL ON FUNCTION readmodels.tenant_watermark(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readmodels.tenant_watermark(text, uuid) TO eventline_service;

-- Down Migration
DROP FUNCTION readmodels.tenant_watermark(text, uuid);
