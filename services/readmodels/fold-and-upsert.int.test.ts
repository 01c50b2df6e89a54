/**
 * The bulk apply's writes carry every value to PostgreSQL unchanged: text that
 * JSON and SQL both escape, jsonb, nulls, exact decimals and instants, through
 * the rows it upserts and the totals it adds up.
 */
import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { openDatabase, sql } from '../platform/database/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import { applyOrders } from './orders/orders-projection.ts';
import { LIVE, type ProjectedEvent } from './projection.ts';
import { applyTenantStats } from './tenant-stats/tenant-stats-projection.ts';

let db: TestDatabase;
let projector: DatabasePool;

beforeAll(async () => {
  db = await createTestDatabase('foldupsert');
  projector = await openDatabase(db.projectorUrl, { maximumPoolSize: 1 });
});

afterAll(async () => {
  await projector.end();
  await db.drop();
});

const AWKWARD = 'a "quote", a \\ backslash, a\nnewline, a\ttab, {"json": [1]}, \'single\', é, 😀';

let position = 0;
function event(
  tenant: TenantId,
  order: string,
  version: number,
  type: string,
  data: Record<string, unknown>,
): ProjectedEvent {
  position += 1;
  return {
    eventId: randomUUID(),
    type,
    tenantId: tenant,
    aggregateId: order,
    aggregateVersion: version,
    globalPosition: position,
    occurredAt: new Date(Date.UTC(2026, 11, 3, 6, 0, 0, position)),
    data,
  };
}

test('rows and totals are written with their values exactly as folded', async () => {
  const tenant = tenantId(randomUUID());
  const order = randomUUID();
  const other = randomUUID();
  const run = [
    event(tenant, order, 1, 'OrderPlaced', {
      customerId: AWKWARD,
      customerEmail: null,
      shippingAddress: `${AWKWARD} \\u0041`,
      currency: 'EUR',
      items: [{ sku: AWKWARD, quantity: 3, unitPrice: 0.1 }],
    }),
    event(tenant, order, 2, 'OrderItemAdded', { sku: 'b', quantity: 1, unitPrice: 12345678901.23 }),
    event(tenant, order, 3, 'OrderShipped', { trackingNumber: '' }),
    event(tenant, other, 1, 'OrderPlaced', {
      customerId: 'c',
      currency: 'EUR',
      items: [{ sku: 'x', quantity: 1, unitPrice: 0.2 }],
    }),
  ];
  await projector.transaction(async (tx) => {
    await applyOrders(tx, run, LIVE);
    await applyTenantStats(tx, run, LIVE);
  });

  const rows = await projector.any(
    sql.type(
      z.object({
        order_id: z.string(),
        customer_id: z.string(),
        customer_email: z.string().nullable(),
        shipping_address: z.string().nullable(),
        status: z.string(),
        items: z.unknown(),
        total: z.string(),
        tracking_number: z.string().nullable(),
        placed_at: z.string(),
        updated_at: z.string(),
        version: z.number(),
      }),
    )`
      SELECT order_id, customer_id, customer_email, shipping_address, status, items, total::text AS total,
             tracking_number, to_json(placed_at AT TIME ZONE 'UTC') #>> '{}' AS placed_at,
             to_json(updated_at AT TIME ZONE 'UTC') #>> '{}' AS updated_at,
             version
        FROM readmodels.orders WHERE tenant_id = ${tenant} ORDER BY placed_position`,
  );
  expect(rows).toEqual([
    {
      order_id: order,
      customer_id: AWKWARD,
      customer_email: null,
      shipping_address: `${AWKWARD} \\u0041`,
      status: 'shipped',
      items: [
        { sku: AWKWARD, quantity: 3, unitPrice: 0.1 },
        { sku: 'b', quantity: 1, unitPrice: 12345678901.23 },
      ],
      total: '12345678901.53',
      tracking_number: '',
      placed_at: '2026-12-03T06:00:00.001',
      updated_at: '2026-12-03T06:00:00.003',
      version: 3,
    },
    expect.objectContaining({ order_id: other, customer_id: 'c', customer_email: null, total: '0.2' }),
  ]);

  const revenue = await projector.any(
    sql.type(z.object({ currency: z.string(), revenue: z.string() }))`
      SELECT currency, revenue::text AS revenue FROM readmodels.tenant_revenue WHERE tenant_id = ${tenant}`,
  );
  expect(revenue).toEqual([{ currency: 'EUR', revenue: '12345678901.73' }]);
  const counts = await projector.any(
    sql.type(z.object({ status: z.string(), orders: z.number() }))`
      SELECT status, orders FROM readmodels.tenant_order_counts
       WHERE tenant_id = ${tenant} AND orders > 0 ORDER BY status`,
  );
  expect(counts).toEqual([
    { status: 'placed', orders: 1 },
    { status: 'shipped', orders: 1 },
  ]);
});
