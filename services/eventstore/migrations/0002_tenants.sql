-- Up Migration

-- The tenant directory: who exists, their plan, status and quota. Kept in step
-- with the Tenant aggregate's events, so authentication and quota checks read one
-- row instead of replaying a stream.
CREATE TABLE tenants (
  tenant_id uuid PRIMARY KEY,
  name text NOT NULL,
  plan text NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  commands_per_minute integer NOT NULL CHECK (commands_per_minute > 0),
  max_burst integer NOT NULL CHECK (max_burst > 0),
  version integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON tenants TO eventline_service;

-- Down Migration
DROP TABLE tenants;
