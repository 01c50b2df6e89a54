-- Up Migration

-- A recovery raises the tenant's read-model watermarks past its newest event
-- (docs/recovery.md). An append whose transaction took its id before the
-- recovery's, and reached the tenant only after the recovery committed (a
-- batch of several tenants' appends spanning the whole recovery), would carry
-- a cursor below those watermarks, and the projector would skip its record as
-- republished. The recovery records its own transaction id here; an append
-- from an older transaction is refused as one meeting the recovery is, and its
-- retry, a new transaction, goes through.
CREATE TABLE tenant_recoveries (
  tenant_id uuid PRIMARY KEY,
  transaction_id xid8 NOT NULL,
  recovered_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenant_recoveries ENABLE ROW LEVEL SECURITY;

-- The appending roles read the table only through this function (the schema
-- owner's rights, one tenant's row), so no role is granted the table itself.
CREATE FUNCTION tenant_recovered_since(p_tenant uuid) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$ SELECT EXISTS (SELECT FROM tenant_recoveries r
                        WHERE r.tenant_id = p_tenant AND r.transaction_id > pg_current_xact_id()) $$;
REVOKE EXECUTE ON FUNCTION tenant_recovered_since(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_recovered_since(uuid) TO eventline_service;

CREATE OR REPLACE FUNCTION hold_tenant_write_lock() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock_shared(tenant_write_lock_key(NEW.tenant_id))
     OR tenant_recovered_since(NEW.tenant_id) THEN
    RAISE EXCEPTION 'tenant % is being recovered: its appends are refused until the recovery ends', NEW.tenant_id
      USING ERRCODE = 'lock_not_available';
  END IF;
  RETURN NEW;
END
$$;

-- Down Migration
CREATE OR REPLACE FUNCTION hold_tenant_write_lock() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock_shared(tenant_write_lock_key(NEW.tenant_id)) THEN
    RAISE EXCEPTION 'tenant % is being recovered: its appends are refused until the recovery ends', NEW.tenant_id
      USING ERRCODE = 'lock_not_available';
  END IF;
  RETURN NEW;
END
$$;
DROP FUNCTION tenant_recovered_since(uuid);
DROP TABLE tenant_recoveries;
