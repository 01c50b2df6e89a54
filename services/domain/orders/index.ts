export {
  type AddOrderItem,
  addOrderItemPayload,
  type CancelOrder,
  cancelOrderPayload,
  type DeliverOrder,
  deliverOrderPayload,
  MAX_ITEMS_PER_ORDER,
  type OrderCommand,
  type PlaceOrder,
  placeOrderPayload,
  type ShipOrder,
  shipOrderPayload,
} from './commands.ts';
export { isActiveCurrency } from './currencies.ts';
export { orderDecider } from './decider.ts';
export {
  lineAmount,
  linesTotal,
  type Money,
  money,
  moneyAsNumber,
  negated,
  plus,
  times,
  ZERO_MONEY,
} from './money.ts';
export type {
  OrderCancelled,
  OrderDelivered,
  OrderEvent,
  OrderItemAdded,
  OrderLine,
  OrderPlaced,
  OrderShipped,
} from './events.ts';
export type { ExistingOrder, OrderState, OrderStatus } from './state.ts';
