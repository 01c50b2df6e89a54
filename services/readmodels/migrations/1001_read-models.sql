-- Up Migration

-- The projector's group role. Deployments grant it to the projector's login role
-- (the local stack: eventline_projector_app). It builds every tenant's read
-- models, so its policies let it write every tenant's read-model rows and read
-- every tenant's events (the transaction ids of what it applies); nothing else.
DO $$
BEGIN
  CREATE ROLE eventline_projector NOLOGIN NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created already, by provisioning or by a migration of another database
END
$$;

-- Read models live in their own schema: their names never meet the event
-- store's (public.tenants is the tenant directory, readmodels.tenants a projection).
CREATE SCHEMA readmodels;
GRANT USAGE ON SCHEMA readmodels TO eventline_service, eventline_projector;
GRANT USAGE ON SCHEMA public TO eventline_projector;

GRANT SELECT ON events TO eventline_projector;
CREATE POLICY projector_reads_every_tenant ON events FOR SELECT TO eventline_projector USING (true);

-- Where each projection stands in each partition: the offset of the next record
-- to apply. Written in the same transaction as the read-model rows, so a crash
-- never separates the two.
CREATE TABLE readmodels.checkpoints (
  projection text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, topic, partition)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON readmodels.checkpoints TO eventline_projector;

-- Per projection and tenant, the last event applied (or parked), in the order a
-- tenant's events reach its partition: (transaction id, position), which is not
-- position order. Read-your-writes waits until this passes the caller's event.
CREATE TABLE readmodels.watermarks (
  projection text NOT NULL,
  tenant_id uuid NOT NULL,
  transaction_id xid8 NOT NULL,
  global_position bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, tenant_id)
);

-- Events a projection parked on its dead-letter topic: it went past them, so a
-- replay of the event store that checks the read model must skip them too.
CREATE TABLE readmodels.dead_letters (
  projection text NOT NULL,
  event_id uuid NOT NULL,
  tenant_id uuid NOT NULL,
  event_type text NOT NULL,
  global_position bigint NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  error text NOT NULL,
  attempts integer NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, event_id)
);

-- projection orders: one row per order.
CREATE TABLE readmodels.orders (
  tenant_id uuid NOT NULL,
  order_id uuid NOT NULL,
  customer_id text NOT NULL,
  status text NOT NULL,
  currency text NOT NULL,
  items jsonb NOT NULL,
  total numeric NOT NULL,
  tracking_number text,
  cancellation_reason text,
  -- The OrderPlaced event's position: unique within a tenant and never changes,
  -- so it orders the keyset pagination of ListOrders (newest first).
  placed_position bigint NOT NULL,
  placed_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL,
  PRIMARY KEY (tenant_id, order_id)
);
CREATE INDEX orders_newest_first ON readmodels.orders (tenant_id, placed_position DESC);
CREATE INDEX orders_by_status ON readmodels.orders (tenant_id, status, placed_position DESC);
CREATE INDEX orders_by_customer ON readmodels.orders (tenant_id, customer_id, placed_position DESC);

-- projection customer_order_stats: per customer and currency; it keeps the few
-- facts of each order it needs (later events do not name the customer).
CREATE TABLE readmodels.customer_order_stats (
  tenant_id uuid NOT NULL,
  customer_id text NOT NULL,
  currency text NOT NULL,
  orders_placed integer NOT NULL,
  orders_cancelled integer NOT NULL,
  orders_delivered integer NOT NULL,
  total_spent numeric NOT NULL,
  PRIMARY KEY (tenant_id, customer_id, currency)
);
CREATE TABLE readmodels.customer_order_stats_orders (
  tenant_id uuid NOT NULL,
  order_id uuid NOT NULL,
  customer_id text NOT NULL,
  currency text NOT NULL,
  total numeric NOT NULL,
  status text NOT NULL,
  PRIMARY KEY (tenant_id, order_id)
);

-- projection tenant_stats: orders per status and revenue (orders not cancelled) per currency.
CREATE TABLE readmodels.tenant_order_counts (
  tenant_id uuid NOT NULL,
  status text NOT NULL,
  orders integer NOT NULL,
  PRIMARY KEY (tenant_id, status)
);
CREATE TABLE readmodels.tenant_revenue (
  tenant_id uuid NOT NULL,
  currency text NOT NULL,
  revenue numeric NOT NULL,
  PRIMARY KEY (tenant_id, currency)
);
CREATE TABLE readmodels.tenant_stats_orders (
  tenant_id uuid NOT NULL,
  order_id uuid NOT NULL,
  currency text NOT NULL,
  total numeric NOT NULL,
  status text NOT NULL,
  PRIMARY KEY (tenant_id, order_id)
);

-- projection tenants: one row per tenant.
CREATE TABLE readmodels.tenants (
  tenant_id uuid PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL,
  plan text NOT NULL,
  commands_per_minute integer NOT NULL,
  max_burst integer NOT NULL,
  suspension_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL
);

-- Every tenant-scoped table: the services see one tenant's rows (queries run as
-- eventline_service in a tenant transaction); the projector writes them all.
DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['watermarks', 'dead_letters', 'orders', 'customer_order_stats',
    'customer_order_stats_orders', 'tenant_order_counts', 'tenant_revenue', 'tenant_stats_orders', 'tenants']
  LOOP
    EXECUTE format('ALTER TABLE readmodels.%I ENABLE ROW LEVEL SECURITY', name);
    EXECUTE format('CREATE POLICY tenant_isolation ON readmodels.%I TO eventline_service
                      USING (tenant_id = current_tenant_id())', name);
    EXECUTE format('CREATE POLICY projector_writes_every_tenant ON readmodels.%I TO eventline_projector
                      USING (true) WITH CHECK (true)', name);
    EXECUTE format('GRANT SELECT ON readmodels.%I TO eventline_service', name);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON readmodels.%I TO eventline_projector', name);
  END LOOP;
END
$$;

-- Down Migration
DROP SCHEMA readmodels CASCADE;
DROP POLICY projector_reads_every_tenant ON events;
REVOKE ALL ON events FROM eventline_projector;
