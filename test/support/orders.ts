import { newStreamId, type PostgresEventStore } from '../../services/eventstore/index.ts';
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
