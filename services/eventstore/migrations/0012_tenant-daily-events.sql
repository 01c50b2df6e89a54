-- Up Migration

-- A tenant's limit on events stored per UTC day (its plan's, or SetTenantQuota's).
-- NULL for rows written before the limit existed: the gateway reads the plan's
-- default then, as the Tenant aggregate does for its older events.
ALTER TABLE tenants ADD COLUMN events_per_day integer CHECK (events_per_day > 0);

-- Down Migration
ALTER TABLE tenants DROP COLUMN events_per_day;
