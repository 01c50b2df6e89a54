-- Up Migration

-- Events waiting to be published, written in the transaction that appends them.
-- A row is deleted once Kafka has acknowledged its event, so the table holds only
-- the backlog. transaction_id lets the relay publish a tenant's events in commit
-- order and never before every older transaction has finished.
CREATE TABLE outbox (
  global_position bigint PRIMARY KEY,
  tenant_id uuid NOT NULL,
  transaction_id xid8 NOT NULL,
  context text NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_tenant_commit_order ON outbox (tenant_id, transaction_id, global_position);

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT ON outbox TO eventline_service;

-- Down Migration
DROP TABLE outbox;
