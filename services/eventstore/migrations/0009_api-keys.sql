-- Up Migration

-- Tenant API keys. A key reads el_<key_id>_<secret>; only a hash of the secret is
-- kept, so a leaked table yields no usable key. Keys are random 256-bit values,
-- which makes a plain SHA-256 as safe as a slow hash here.
CREATE TABLE api_keys (
  key_id text PRIMARY KEY,
  tenant_id uuid NOT NULL,
  secret_hash bytea NOT NULL,
  roles text[] NOT NULL
    CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['admin', 'writer', 'reader']::text[]),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON api_keys TO eventline_service;

-- Authentication must find a key before it knows the tenant: this function, run
-- with its owner's rights, is the one door past row-level security, and it
-- answers for one key id only.
CREATE FUNCTION api_key_for_authentication(p_key_id text)
  RETURNS TABLE (tenant_id uuid, secret_hash bytea, roles text[], revoked boolean)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
    SELECT k.tenant_id, k.secret_hash, k.roles, k.revoked_at IS NOT NULL
      FROM api_keys k
     WHERE k.key_id = p_key_id
  $$;
REVOKE ALL ON FUNCTION api_key_for_authentication(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_key_for_authentication(text) TO eventline_service;

-- Down Migration
DROP FUNCTION api_key_for_authentication(text);
DROP TABLE api_keys;
