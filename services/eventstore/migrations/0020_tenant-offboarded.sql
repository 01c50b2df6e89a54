-- Up Migration

-- An offboarded tenant keeps its directory row, so that its commands and queries
-- answer 410 Gone rather than 404, and an id is never handed out twice.
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'offboarded'));

-- Down Migration
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended'));
