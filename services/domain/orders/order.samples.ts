import type {
  AddOrderItem,
  CancelOrder,
  DeliverOrder,
  OrderCommand,
  PlaceOrder,
  ShipOrder,
} from './commands.ts';
import type { OrderCancelled, OrderDelivered, OrderItemAdded, OrderPlaced, OrderShipped } from './events.ts';

// Test data shared by the specs and the schema test, so that the events checked
// against the Avro schemas are the ones the rules are specified with.

export const placeOrder: PlaceOrder = {
  type: 'PlaceOrder',
  payload: {
    customerId: 'customer-7',
    customerEmail: 'ada.lovelace@example.com',
    shippingAddress: '12 St James Square, London SW1Y 4JH',
    currency: 'EUR',
    items: [
      { sku: 'book-ddd', quantity: 2, unitPrice: 35.5 },
      { sku: 'mug', quantity: 1, unitPrice: 0 },
    ],
  },
};
export const orderPlaced: OrderPlaced = {
  type: 'OrderPlaced',
  data: {
    ...placeOrder.payload,
    customerEmail: 'ada.lovelace@example.com',
    shippingAddress: '12 St James Square, London SW1Y 4JH',
  },
};

export const addOrderItem: AddOrderItem = {
  type: 'AddOrderItem',
  payload: { sku: 'pen', quantity: 10, unitPrice: 1.25 },
};
export const orderItemAdded: OrderItemAdded = { type: 'OrderItemAdded', data: addOrderItem.payload };

export const shipOrder: ShipOrder = { type: 'ShipOrder', payload: { trackingNumber: '1Z999AA10123456784' } };
export const orderShipped: OrderShipped = { type: 'OrderShipped', data: shipOrder.payload };

export const deliverOrder: DeliverOrder = {
  type: 'DeliverOrder',
  payload: { deliveredAt: '2026-12-01T14:30:00.000Z' },
};
export const orderDelivered: OrderDelivered = {
  type: 'OrderDelivered',
  data: { deliveredAt: '2026-12-01T14:30:00.000Z' },
};

export const cancelOrder: CancelOrder = {
  type: 'CancelOrder',
  payload: { reason: 'customer changed their mind' },
};
export const orderCancelled: OrderCancelled = { type: 'OrderCancelled', data: cancelOrder.payload };

/** Whole lives of an order, every command accepted in turn: together they produce every event type. */
export const orderLives: readonly (readonly OrderCommand[])[] = [
  [placeOrder, addOrderItem, shipOrder, deliverOrder],
  [placeOrder, cancelOrder],
];
