-- Up Migration

-- The platform administrator lists and searches tenants across all of them.
-- This function, run with its owner's rights, is the one door past row-level
-- security for that, and it shows the directory's columns only (keys never).
-- Pages are keyset pages in (lower(name), tenant_id) order, so a page costs the
-- same at the ten-thousandth tenant as at the first.
CREATE INDEX tenants_by_name ON tenants (lower(name), tenant_id);

CREATE FUNCTION tenant_directory_page(
  p_search text, p_after_name text, p_after_id uuid, p_limit integer
) RETURNS TABLE (
  tenant_id uuid, name text, plan text, status text, commands_per_minute integer, max_burst integer,
  events_per_day integer, suspension_reason text, version integer
)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
    SELECT t.tenant_id, t.name, t.plan, t.status, t.commands_per_minute, t.max_burst, t.events_per_day,
           t.suspension_reason, t.version
      FROM tenants t
     WHERE (p_search IS NULL OR strpos(lower(t.name), lower(p_search)) > 0)
       AND (p_after_name IS NULL OR (lower(t.name), t.tenant_id) > (p_after_name, p_after_id))
     ORDER BY lower(t.name), t.tenant_id
     LIMIT least(greatest(p_limit, 1), 500)
  $$;
REVOKE ALL ON FUNCTION tenant_directory_page(text, text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_directory_page(text, text, uuid, integer) TO eventline_service;

-- Down Migration
DROP FUNCTION tenant_directory_page(text, text, uuid, integer);
DROP INDEX tenants_by_name;
