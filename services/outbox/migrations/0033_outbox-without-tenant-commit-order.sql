-- Up Migration

-- outbox_tenant_commit_order (0005) served the first relay, which read the
-- outbox tenant by tenant. Since the lanes (0008, 0013) no statement uses it:
-- the relay's page reads outbox_commit_order, its deletes and a tenant
-- recovery's (withdrawn rows) the primary key, the backlog counts scan. Yet
-- every append wrote an entry into it, a tenth of an append's WAL records.
DROP INDEX outbox_tenant_commit_order;

-- Down Migration
CREATE INDEX outbox_tenant_commit_order ON outbox (tenant_id, transaction_id, global_position);
