import {
  lineAmount,
  linesTotal,
  type Money,
  type OrderCancelled,
  type OrderItemAdded,
  type OrderLine,
  type OrderPlaced,
  type OrderShipped,
  plus,
} from '../../domain/orders/index.ts';
import { dataOf, type ProjectedEvent } from '../projection.ts';

/** An order as ListOrders and GetOrder answer it; times as text PostgreSQL reads back as the same instant. */
export interface OrderRow {
  readonly customerId: string;
  /** Personal data of the customer, sealed as the event carries it (docs/privacy.md); null when not given. */
  readonly customerEmail: string | null;
  readonly shippingAddress: string | null;
  readonly status: string;
  readonly currency: string;
  readonly items: readonly OrderLine[];
  readonly total: Money;
  readonly trackingNumber: string | null;
  readonly cancellationReason: string | null;
  /** The OrderPlaced event's position: it orders ListOrders' pages. */
  readonly placedPosition: number;
  readonly placedAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** Every later event names only the order: it changes the row and stamps version and time. */
function changed(row: OrderRow, event: ProjectedEvent, change: Partial<OrderRow>): OrderRow {
  return { ...row, ...change, version: event.aggregateVersion, updatedAt: event.occurredAt.toISOString() };
}

// Events carry exactly the fields their Avro schema declares; a line is stored with those only.
function line({ sku, quantity, unitPrice }: OrderLine): OrderLine {
  return { sku, quantity, unitPrice };
}

/**
 * One event applied to an order's row: the handlers and the bulk apply both
 * fold with it. A placement of an order already there changes nothing; a later
 * event of an order not there is applied to nothing.
 */
export function evolveOrderRow(row: OrderRow | undefined, event: ProjectedEvent): OrderRow | undefined {
  if (event.type === 'OrderPlaced') {
    if (row) return row;
    const { customerId, customerEmail, shippingAddress, currency, items } =
      dataOf<OrderPlaced['data']>(event);
    const at = event.occurredAt.toISOString();
    return {
      customerId,
      // Events stored before these fields existed carry none: undefined, read as null.
      customerEmail: customerEmail ?? null,
      shippingAddress: shippingAddress ?? null,
      status: 'placed',
      currency,
      items: items.map(line),
      total: linesTotal(items),
      trackingNumber: null,
      cancellationReason: null,
      placedPosition: event.globalPosition,
      placedAt: at,
      updatedAt: at,
      version: event.aggregateVersion,
    };
  }
  if (!row) return row;
  switch (event.type) {
    case 'OrderItemAdded': {
      const added = dataOf<OrderItemAdded['data']>(event);
      return changed(row, event, {
        items: [...row.items, line(added)],
        total: plus(row.total, lineAmount(added)),
      });
    }
    case 'OrderShipped':
      return changed(row, event, {
        status: 'shipped',
        trackingNumber: dataOf<OrderShipped['data']>(event).trackingNumber,
      });
    case 'OrderDelivered':
      return changed(row, event, { status: 'delivered' });
    case 'OrderCancelled':
      return changed(row, event, {
        status: 'cancelled',
        cancellationReason: dataOf<OrderCancelled['data']>(event).reason,
      });
    default:
      return row;
  }
}
