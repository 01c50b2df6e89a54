-- Up Migration

-- The group role every service acts through. Deployments grant it to their login
-- role (the local stack: eventline_app). It owns nothing and cannot bypass
-- row-level security, so every query it runs is confined to one tenant.
DO $$
BEGIN
  CREATE ROLE eventline_service NOLOGIN NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created already, by provisioning or by a migration of another database
END
$$;

-- The tenant a transaction acts for, set with set_config('eventline.tenant_id', id, true).
-- Unset means no tenant: row-level security then shows and accepts no row.
CREATE FUNCTION current_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('eventline.tenant_id', true), '')::uuid $$;

GRANT USAGE ON SCHEMA public TO eventline_service;
GRANT EXECUTE ON FUNCTION current_tenant_id() TO eventline_service;

-- Down Migration
DROP FUNCTION current_tenant_id();
