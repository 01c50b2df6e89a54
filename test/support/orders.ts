import { EventSchemas } from '../../services/avro/index.ts';
import { newStreamId, PostgresEventStore, Upcasters } from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import type { TenantId } from '../../services/platform/tenancy/index.ts';

/** One committed OrderPlaced opening a new order stream of the tenant's: the smallest append there is. */
export async function placeOrder(store: PostgresEventStore, tenant: TenantId): Promise<void> {
  await store.appendToStream(
    tenant,
    { id: newStreamId(), type: 'Order', context: 'orders' },
    'no-stream',
    [
      {
        type: 'OrderPlaced',
        data: { customerId: 'c', currency: 'EUR', items: [{ sku: 's', quantity: 1, unitPrice: 1 }] },
      },
    ],
    { correlationId: 'c', causationId: null },
  );
}

/** One order of each tenant, in turn, through a store of its own on the app's login: events and their outbox rows. */
export async function placeOrders(appUrl: string, tenants: readonly TenantId[]): Promise<void> {
  const app = await openDatabase(appUrl, { maximumPoolSize: 2 });
  const store = new PostgresEventStore(app, await EventSchemas.load(), new Upcasters());
  try {
    for (const tenant of tenants) await placeOrder(store, tenant);
  } finally {
    await store.close();
    await app.end();
  }
}
