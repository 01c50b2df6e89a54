import { type Rejection, reject } from '../kernel/index.ts';
import { MAX_ITEMS_PER_ORDER, type OrderCommand } from './commands.ts';
import type { OrderEvent, OrderLine } from './events.ts';
import type { OrderState } from './state.ts';

// Events carry exactly the fields their Avro schema declares, whatever else
// an unvalidated payload might hold.
function line({ sku, quantity, unitPrice }: OrderLine): OrderLine {
  return { sku, quantity, unitPrice };
}

export function decideOrder(command: OrderCommand, state: OrderState): readonly OrderEvent[] | Rejection {
  if (command.type === 'PlaceOrder') {
    if (state.status !== 'none') return reject('order-already-exists', 'the order has already been placed');
    const { customerId, customerEmail, shippingAddress, currency, items } = command.payload;
    return [
      {
        type: 'OrderPlaced',
        data: {
          customerId,
          customerEmail: customerEmail ?? null,
          shippingAddress: shippingAddress ?? null,
          currency,
          items: items.map(line),
        },
      },
    ];
  }
  if (state.status === 'none') return reject('order-not-found', 'no order has been placed under this id');

  switch (command.type) {
    case 'AddOrderItem':
      if (state.status !== 'placed') {
        return reject(
          'order-not-placed',
          `items can be added only while the order is placed; it is ${state.status}`,
        );
      }
      if (state.items.length >= MAX_ITEMS_PER_ORDER) {
        return reject('too-many-items', `an order holds at most ${MAX_ITEMS_PER_ORDER} items`);
      }
      return [{ type: 'OrderItemAdded', data: line(command.payload) }];
    case 'ShipOrder':
      if (state.status !== 'placed') {
        return reject('order-not-placed', `only a placed order can be shipped; it is ${state.status}`);
      }
      return [{ type: 'OrderShipped', data: { trackingNumber: command.payload.trackingNumber } }];
    case 'DeliverOrder':
      if (state.status !== 'shipped') {
        return reject('order-not-shipped', `only a shipped order can be delivered; it is ${state.status}`);
      }
      return [{ type: 'OrderDelivered', data: { deliveredAt: command.payload.deliveredAt ?? null } }];
    case 'CancelOrder':
      if (state.status === 'cancelled') {
        return reject('order-already-cancelled', 'the order is already cancelled');
      }
      if (state.status !== 'placed') {
        return reject(
          'order-already-shipped',
          `an order can be cancelled only before shipping; it is ${state.status}`,
        );
      }
      return [{ type: 'OrderCancelled', data: { reason: command.payload.reason } }];
  }
}
