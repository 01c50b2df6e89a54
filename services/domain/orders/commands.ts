import { z } from 'zod';
import { type DomainCommand, expecting } from '../kernel/index.ts';
import { isActiveCurrency } from './currencies.ts';

export const MAX_ITEMS_PER_ORDER = 100;

function text(max: number) {
  return z
    .string(expecting('a string'))
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);
}

const sku = text(100);

const quantity = z
  .number(expecting('a number'))
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(1_000_000, 'must be at most 1000000');

const unitPrice = z
  .number(expecting('a number'))
  .min(0, 'must not be negative')
  .max(1e12, 'must be at most 1000000000000');

const currency = z.string(expecting('a string')).superRefine((code, context) => {
  if (!/^[A-Z]{3}$/.test(code)) {
    context.addIssue({ code: 'custom', message: 'must be an ISO-4217 code: three uppercase letters' });
  } else if (!isActiveCurrency(code)) {
    context.addIssue({ code: 'custom', message: `"${code}" is not an active ISO-4217 currency` });
  }
});

function payload<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.strictObject(shape, expecting('an object'));
}

const orderLine = payload({ sku, quantity, unitPrice });

/** Personal data (docs/privacy.md): accepted as any other field, sealed by the event store before it is stored. */
const email = z.email({ error: 'must be an email address' }).max(320, 'must be at most 320 characters');

export const placeOrderPayload = payload({
  customerId: text(200),
  customerEmail: email.optional(),
  shippingAddress: text(500).optional(),
  currency,
  items: z
    .array(orderLine, expecting('an array'))
    .min(1, 'must hold at least 1 item')
    .max(MAX_ITEMS_PER_ORDER, `must hold at most ${MAX_ITEMS_PER_ORDER} items`),
});
export const addOrderItemPayload = orderLine;
export const shipOrderPayload = payload({ trackingNumber: text(100) });
export const deliverOrderPayload = payload({
  deliveredAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 date and time, e.g. 2026-12-01T14:30:00Z' })
    .optional(),
});
export const cancelOrderPayload = payload({ reason: text(500) });

export type PlaceOrder = DomainCommand<'PlaceOrder', z.infer<typeof placeOrderPayload>>;
export type AddOrderItem = DomainCommand<'AddOrderItem', z.infer<typeof addOrderItemPayload>>;
export type ShipOrder = DomainCommand<'ShipOrder', z.infer<typeof shipOrderPayload>>;
export type DeliverOrder = DomainCommand<'DeliverOrder', z.infer<typeof deliverOrderPayload>>;
export type CancelOrder = DomainCommand<'CancelOrder', z.infer<typeof cancelOrderPayload>>;

export type OrderCommand = PlaceOrder | AddOrderItem | ShipOrder | DeliverOrder | CancelOrder;
