import type { Decider } from '../kernel/index.ts';
import {
  addOrderItemPayload,
  cancelOrderPayload,
  deliverOrderPayload,
  type OrderCommand,
  placeOrderPayload,
  shipOrderPayload,
} from './commands.ts';
import { decideOrder } from './decide.ts';
import type { OrderEvent } from './events.ts';
import { evolveOrder, initialOrderState, type OrderState } from './state.ts';

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  context: 'orders',
  aggregateType: 'Order',
  initialState: initialOrderState,
  // 2: the total became Money (decimal text); snapshots holding a float total are ignored.
  stateVersion: 2,
  exists: (state) => state.status !== 'none',
  decide: decideOrder,
  evolve: evolveOrder,
  // Every rule reads only the latest state, so deciding again after a conflict is safe.
  commands: {
    PlaceOrder: { payload: placeOrderPayload, target: 'create', retryOnConflict: true },
    AddOrderItem: { payload: addOrderItemPayload, target: 'existing', retryOnConflict: true },
    ShipOrder: { payload: shipOrderPayload, target: 'existing', retryOnConflict: true },
    DeliverOrder: { payload: deliverOrderPayload, target: 'existing', retryOnConflict: true },
    CancelOrder: { payload: cancelOrderPayload, target: 'existing', retryOnConflict: true },
  },
  events: {
    OrderPlaced: { currentVersion: 1 },
    OrderItemAdded: { currentVersion: 1 },
    OrderShipped: { currentVersion: 1 },
    OrderDelivered: { currentVersion: 1 },
    OrderCancelled: { currentVersion: 1 },
  },
};
