import type { z } from 'zod';
import { given } from '../../../test/support/given.ts';
import {
  addOrderItemPayload,
  cancelOrderPayload,
  deliverOrderPayload,
  isActiveCurrency,
  type OrderEvent,
  type OrderLine,
  orderDecider,
  placeOrderPayload,
  shipOrderPayload,
} from './index.ts';
import {
  addOrderItem,
  cancelOrder,
  deliverOrder,
  orderCancelled,
  orderDelivered,
  orderItemAdded,
  orderPlaced,
  orderShipped,
  placeOrder,
  shipOrder,
} from './order.samples.ts';

const placed: readonly OrderEvent[] = [orderPlaced];
const shipped: readonly OrderEvent[] = [orderPlaced, orderShipped];
const delivered: readonly OrderEvent[] = [...shipped, orderDelivered];
const cancelled: readonly OrderEvent[] = [orderPlaced, orderCancelled];

function lines(count: number): OrderLine[] {
  return Array.from({ length: count }, (_, index) => ({ sku: `sku-${index}`, quantity: 1, unitPrice: 1 }));
}

function placedWith(count: number): OrderEvent[] {
  return [{ type: 'OrderPlaced', data: { ...orderPlaced.data, items: lines(count) } }];
}

/** Each issue as "path: message", the way the gateway reports it. */
function issues(schema: z.ZodTypeAny, input: unknown): string[] {
  const result = schema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('the Order decider', () => {
  test('is the aggregate type Order of the context orders', () => {
    expect(orderDecider.context).toBe('orders');
    expect(orderDecider.aggregateType).toBe('Order');
  });

  test('only PlaceOrder creates an order, and every command may be decided again after a conflict', () => {
    const commands = Object.entries(orderDecider.commands);
    expect(commands.filter(([, definition]) => definition.target === 'create').map(([type]) => type)).toEqual(
      ['PlaceOrder'],
    );
    expect(commands.every(([, definition]) => definition.retryOnConflict)).toBe(true);
  });

  test('an order exists once placed', () => {
    expect(orderDecider.exists(given(orderDecider).state)).toBe(false);
    expect(orderDecider.exists(given(orderDecider, placed).state)).toBe(true);
  });
});

describe('PlaceOrder', () => {
  test('given no order, it places one', () => {
    given(orderDecider).when(placeOrder).then([orderPlaced]);
  });

  test.each([
    ['placed', placed],
    ['shipped', shipped],
    ['delivered', delivered],
    ['cancelled', cancelled],
  ])('given a %s order, it is refused: the id is taken', (_, history) => {
    given(orderDecider, history).when(placeOrder).thenRejects('order-already-exists');
  });

  test('the event holds exactly the declared fields of each line', () => {
    const line = { sku: 'extra', quantity: 1, unitPrice: 2, note: 'not in the schema' };
    given(orderDecider)
      .when({ ...placeOrder, payload: { ...placeOrder.payload, items: [line] } })
      .then([
        {
          type: 'OrderPlaced',
          data: { ...orderPlaced.data, items: [{ sku: 'extra', quantity: 1, unitPrice: 2 }] },
        },
      ]);
  });
});

describe('AddOrderItem', () => {
  test('given a placed order, it adds the line', () => {
    given(orderDecider, placed).when(addOrderItem).then([orderItemAdded]);
  });

  test('given a placed order of 99 lines, the hundredth is accepted', () => {
    given(orderDecider, placedWith(99)).when(addOrderItem).then([orderItemAdded]);
  });

  test('given a placed order of 100 lines, it is refused', () => {
    given(orderDecider, placedWith(100)).when(addOrderItem).thenRejects('too-many-items');
  });

  test('lines added one by one count towards the limit', () => {
    const added = Array.from({ length: 99 }, (): OrderEvent => orderItemAdded);
    given(orderDecider, [...placedWith(1), ...added])
      .when(addOrderItem)
      .thenRejects('too-many-items');
  });

  test.each([
    ['shipped', shipped],
    ['delivered', delivered],
    ['cancelled', cancelled],
  ])('given a %s order, it is refused', (status, history) => {
    const rejection = given(orderDecider, history).when(addOrderItem).thenRejects('order-not-placed');
    expect(rejection.message).toContain(status);
  });

  test('given no order, it is refused as not found', () => {
    given(orderDecider).when(addOrderItem).thenRejects('order-not-found');
  });
});

describe('ShipOrder', () => {
  test('given a placed order, it ships it', () => {
    given(orderDecider, placed).when(shipOrder).then([orderShipped]);
  });

  test('given an order with added lines, it ships it', () => {
    given(orderDecider, [...placed, orderItemAdded])
      .when(shipOrder)
      .then([orderShipped]);
  });

  test.each([
    ['shipped', shipped],
    ['delivered', delivered],
    ['cancelled', cancelled],
  ])('given a %s order, it is refused', (_, history) => {
    given(orderDecider, history).when(shipOrder).thenRejects('order-not-placed');
  });

  test('given no order, it is refused as not found', () => {
    given(orderDecider).when(shipOrder).thenRejects('order-not-found');
  });
});

describe('DeliverOrder', () => {
  test('given a shipped order, it delivers it, when the command says', () => {
    given(orderDecider, shipped).when(deliverOrder).then([orderDelivered]);
  });

  test('without a time it delivers it all the same; the event says it does not know when', () => {
    given(orderDecider, shipped)
      .when({ type: 'DeliverOrder', payload: {} })
      .then([{ type: 'OrderDelivered', data: { deliveredAt: null } }]);
  });

  test.each([
    ['placed', placed],
    ['delivered', delivered],
    ['cancelled', cancelled],
  ])('given a %s order, it is refused', (_, history) => {
    given(orderDecider, history).when(deliverOrder).thenRejects('order-not-shipped');
  });

  test('given no order, it is refused as not found', () => {
    given(orderDecider).when(deliverOrder).thenRejects('order-not-found');
  });
});

describe('CancelOrder', () => {
  test('given a placed order, it cancels it', () => {
    given(orderDecider, placed).when(cancelOrder).then([orderCancelled]);
  });

  test('given a cancelled order, it is refused', () => {
    given(orderDecider, cancelled).when(cancelOrder).thenRejects('order-already-cancelled');
  });

  test.each([
    ['shipped', shipped],
    ['delivered', delivered],
  ])('given a %s order, it is refused: cancelling is only before shipping', (_, history) => {
    given(orderDecider, history).when(cancelOrder).thenRejects('order-already-shipped');
  });

  test('given no order, it is refused as not found', () => {
    given(orderDecider).when(cancelOrder).thenRejects('order-not-found');
  });
});

describe('the state of an order', () => {
  test('before anything happened, there is no order', () => {
    expect(given(orderDecider).state).toEqual({ status: 'none' });
  });

  test('it follows the order through its life, keeping lines and their total', () => {
    expect(given(orderDecider, [...placed, orderItemAdded]).state).toEqual({
      status: 'placed',
      customerId: 'customer-7',
      currency: 'EUR',
      items: [...orderPlaced.data.items, orderItemAdded.data],
      // 2 × 35.5 + 1 × 0 + 10 × 1.25, exact, at the largest scale of the prices' (as numeric sums).
      total: '83.50',
      trackingNumber: null,
    });
    expect(given(orderDecider, shipped).state).toMatchObject({
      status: 'shipped',
      trackingNumber: '1Z999AA10123456784',
    });
    expect(given(orderDecider, delivered).state).toMatchObject({ status: 'delivered' });
    expect(given(orderDecider, cancelled).state).toMatchObject({ status: 'cancelled', total: '71.0' });
  });

  test('events before the order was placed leave it absent', () => {
    expect(given(orderDecider, [orderShipped, orderDelivered]).state).toEqual({ status: 'none' });
  });
});

describe('payloads', () => {
  test.each([
    ['PlaceOrder', placeOrderPayload, placeOrder.payload],
    ['AddOrderItem', addOrderItemPayload, addOrderItem.payload],
    ['ShipOrder', shipOrderPayload, shipOrder.payload],
    ['DeliverOrder', deliverOrderPayload, deliverOrder.payload],
    ['CancelOrder', cancelOrderPayload, cancelOrder.payload],
  ])('a valid %s payload passes unchanged', (_, schema, payload) => {
    expect(schema.parse(payload)).toEqual(payload);
  });

  test('the bounds themselves are accepted', () => {
    const line = { sku: 'x'.repeat(100), quantity: 1_000_000, unitPrice: 1e12 };
    const payload = { customerId: 'c'.repeat(200), currency: 'JPY', items: lines(99).concat(line) };
    expect(issues(placeOrderPayload, payload)).toEqual([]);
    expect(issues(addOrderItemPayload, { sku: 's', quantity: 1, unitPrice: 0 })).toEqual([]);
    expect(issues(shipOrderPayload, { trackingNumber: 't'.repeat(100) })).toEqual([]);
    expect(issues(cancelOrderPayload, { reason: 'r'.repeat(500) })).toEqual([]);
    expect(issues(deliverOrderPayload, {})).toEqual([]);
    expect(issues(deliverOrderPayload, { deliveredAt: '2026-12-01T15:30:00+01:00' })).toEqual([]);
  });

  test.each([
    ['a date alone', { deliveredAt: '2026-12-01' }],
    ['words', { deliveredAt: 'yesterday' }],
    ['a number', { deliveredAt: 1764599400000 }],
  ])('DeliverOrder with %s as deliveredAt is invalid', (_, payload) => {
    expect(issues(deliverOrderPayload, payload)).toEqual([
      'deliveredAt: must be an ISO-8601 date and time, e.g. 2026-12-01T14:30:00Z',
    ]);
  });

  const place = placeOrder.payload;
  const withLine = (line: object) => ({
    ...place,
    items: [{ sku: 's', quantity: 1, unitPrice: 1, ...line }],
  });
  const notActive = (code: string) => `currency: "${code}" is not an active ISO-4217 currency`;
  const notACode = 'currency: must be an ISO-4217 code: three uppercase letters';
  test.each([
    ['no customerId', { currency: 'EUR', items: place.items }, 'customerId: is required'],
    ['an empty customerId', { ...place, customerId: '' }, 'customerId: must not be empty'],
    [
      'a long customerId',
      { ...place, customerId: 'c'.repeat(201) },
      'customerId: must be at most 200 characters',
    ],
    ['a numeric customerId', { ...place, customerId: 7 }, 'customerId: must be a string'],
    ['no currency', { customerId: 'c', items: place.items }, 'currency: is required'],
    ['a lowercase currency', { ...place, currency: 'eur' }, notACode],
    ['a four-letter currency', { ...place, currency: 'EURO' }, notACode],
    ['an unknown currency', { ...place, currency: 'ABC' }, notActive('ABC')],
    ['a withdrawn currency', { ...place, currency: 'HRK' }, notActive('HRK')],
    ['a precious metal', { ...place, currency: 'XAU' }, notActive('XAU')],
    ['no items', { ...place, items: [] }, 'items: must hold at least 1 item'],
    ['101 items', { ...place, items: lines(101) }, 'items: must hold at most 100 items'],
    ['items that are not a list', { ...place, items: {} }, 'items: must be an array'],
    ['an empty sku', withLine({ sku: '' }), 'items.0.sku: must not be empty'],
    ['a long sku', withLine({ sku: 's'.repeat(101) }), 'items.0.sku: must be at most 100 characters'],
    ['a zero quantity', withLine({ quantity: 0 }), 'items.0.quantity: must be at least 1'],
    ['a fractional quantity', withLine({ quantity: 1.5 }), 'items.0.quantity: must be a whole number'],
    ['a huge quantity', withLine({ quantity: 1_000_001 }), 'items.0.quantity: must be at most 1000000'],
    ['a quantity as text', withLine({ quantity: '2' }), 'items.0.quantity: must be a number'],
    ['a negative price', withLine({ unitPrice: -0.01 }), 'items.0.unitPrice: must not be negative'],
    [
      'an infinite price',
      withLine({ unitPrice: Number.POSITIVE_INFINITY }),
      'items.0.unitPrice: must be a finite number',
    ],
    ['a huge price', withLine({ unitPrice: 1e13 }), 'items.0.unitPrice: must be at most 1000000000000'],
    ['a missing price', withLine({ unitPrice: undefined }), 'items.0.unitPrice: is required'],
    ['an unknown field', { ...place, coupon: 'FREE' }, ": Unrecognized key(s) in object: 'coupon'"],
    ['an unknown line field', withLine({ tax: 2 }), "items.0: Unrecognized key(s) in object: 'tax'"],
    ['no object at all', 'PlaceOrder', ': must be an object'],
  ])('PlaceOrder with %s is invalid', (_, payload, issue) => {
    expect(issues(placeOrderPayload, payload)).toContain(issue);
  });

  test.each([
    [addOrderItemPayload, { quantity: 1, unitPrice: 1 }, 'sku: is required'],
    [addOrderItemPayload, { sku: 's', quantity: 0, unitPrice: 1 }, 'quantity: must be at least 1'],
    [addOrderItemPayload, { sku: 's', quantity: 1, unitPrice: -1 }, 'unitPrice: must not be negative'],
    [
      addOrderItemPayload,
      { sku: 's', quantity: 1, unitPrice: 1, currency: 'EUR' },
      ": Unrecognized key(s) in object: 'currency'",
    ],
    [shipOrderPayload, {}, 'trackingNumber: is required'],
    [shipOrderPayload, { trackingNumber: '' }, 'trackingNumber: must not be empty'],
    [shipOrderPayload, { trackingNumber: 't'.repeat(101) }, 'trackingNumber: must be at most 100 characters'],
    [deliverOrderPayload, { at: '2024-01-01' }, ": Unrecognized key(s) in object: 'at'"],
    [deliverOrderPayload, null, ': must be an object'],
    [cancelOrderPayload, {}, 'reason: is required'],
    [cancelOrderPayload, { reason: '' }, 'reason: must not be empty'],
    [cancelOrderPayload, { reason: 'r'.repeat(501) }, 'reason: must be at most 500 characters'],
  ])('%#: an invalid payload is reported with its field path', (schema, payload, issue) => {
    expect(issues(schema, payload)).toContain(issue);
  });
});

describe('ISO-4217', () => {
  test.each(['EUR', 'USD', 'JPY', 'BHD', 'XOF', 'XCG', 'ZWG', 'SLE'])('%s is an active currency', (code) => {
    expect(isActiveCurrency(code)).toBe(true);
  });

  test.each(['ANG', 'SLL', 'ZWL', 'HRK', 'DEM', 'XTS', 'XXX', 'eur'])('%s is not', (code) => {
    expect(isActiveCurrency(code)).toBe(false);
  });
});
