-- Up Migration

-- The directory now holds the whole of a tenant's state as the Tenant aggregate
-- folds it (domain/tenants/state.ts), kept by an inline projection in the
-- append's own transaction. The reason of a suspension was the one part missing.
ALTER TABLE tenants ADD COLUMN suspension_reason text;

-- Down Migration
ALTER TABLE tenants DROP COLUMN suspension_reason;
