import { sql } from 'slonik';
import type { OrderCancelled, OrderItemAdded, OrderPlaced, OrderShipped } from '../../domain/orders/index.ts';
import { type BulkApply, dataOf, type ProjectedEvent, tableIn } from '../projection.ts';

/** What a run of later events does to one order, folded in event order. */
interface OrderChange {
  readonly key: string;
  readonly tenantId: string;
  readonly orderId: string;
  status: string | null;
  shipped: boolean;
  trackingNumber: string | null;
  cancelled: boolean;
  reason: string | null;
  version: number;
  updatedAt: string;
}

interface AddedItem {
  readonly key: string;
  readonly tenantId: string;
  readonly orderId: string;
  readonly sku: string;
  readonly quantity: string;
  readonly unitPrice: string;
}

const STATUS_OF: Readonly<Record<string, string>> = {
  OrderShipped: 'shipped',
  OrderDelivered: 'delivered',
  OrderCancelled: 'cancelled',
};

function fold(events: readonly ProjectedEvent[]) {
  const placed: ProjectedEvent[] = [];
  const changes = new Map<string, OrderChange>();
  const added: AddedItem[] = [];
  for (const event of events) {
    const key = `${event.tenantId}/${event.aggregateId}`;
    if (event.type === 'OrderPlaced') {
      // Its later events are folded after the insert: one that came before it here (a replayed dead letter) would not be.
      if (changes.has(key)) return undefined;
      placed.push(event);
      continue;
    }
    const change: OrderChange = changes.get(key) ?? {
      key,
      tenantId: event.tenantId,
      orderId: event.aggregateId,
      status: null,
      shipped: false,
      trackingNumber: null,
      cancelled: false,
      reason: null,
      version: event.aggregateVersion,
      updatedAt: event.occurredAt.toISOString(),
    };
    change.version = event.aggregateVersion;
    change.updatedAt = event.occurredAt.toISOString();
    change.status = STATUS_OF[event.type] ?? change.status;
    if (event.type === 'OrderItemAdded') {
      const { sku, quantity, unitPrice } = dataOf<OrderItemAdded['data']>(event);
      // As text, cast to numeric in SQL: the value the handler's parameters give.
      added.push({
        key,
        tenantId: event.tenantId,
        orderId: event.aggregateId,
        sku,
        quantity: String(quantity),
        unitPrice: String(unitPrice),
      });
    } else if (event.type === 'OrderShipped') {
      change.shipped = true;
      change.trackingNumber = dataOf<OrderShipped['data']>(event).trackingNumber;
    } else if (event.type === 'OrderCancelled') {
      change.cancelled = true;
      change.reason = dataOf<OrderCancelled['data']>(event).reason;
    }
    changes.set(key, change);
  }
  return { placed, changes: [...changes.values()], added };
}

type Fragment = ReturnType<typeof sql.fragment>;

/** The folded later events as two relations: `changes` (one row per order) and `added` (its new lines, aggregated). */
function changeRelations(changes: readonly OrderChange[], added: readonly AddedItem[]): Fragment {
  const change = <T>(pick: (change: OrderChange) => T) => changes.map(pick);
  const item = <T>(pick: (item: AddedItem) => T) => added.map(pick);
  return sql.fragment`
    added AS (
      SELECT i.tenant_id, i.order_id,
             jsonb_agg(jsonb_build_object('sku', i.sku, 'quantity', i.quantity::numeric,
                                          'unitPrice', i.unit_price::numeric) ORDER BY i.n) AS items,
             sum(i.quantity::numeric * i.unit_price::numeric) AS total
        FROM unnest(${sql.array(
          item((entry) => entry.tenantId),
          'uuid',
        )}, ${sql.array(
          item((entry) => entry.orderId),
          'uuid',
        )}, ${sql.array(
          item((entry) => entry.sku),
          'text',
        )}, ${sql.array(
          item((entry) => entry.quantity),
          'text',
        )}, ${sql.array(
          item((entry) => entry.unitPrice),
          'text',
        )}) WITH ORDINALITY AS i (tenant_id, order_id, sku, quantity, unit_price, n)
       GROUP BY i.tenant_id, i.order_id),
    changes AS (
      SELECT * FROM unnest(${sql.array(
        change((entry) => entry.tenantId),
        'uuid',
      )}, ${sql.array(
        change((entry) => entry.orderId),
        'uuid',
      )}, ${sql.array(
        change((entry) => entry.status),
        'text',
      )}, ${sql.array(
        change((entry) => entry.shipped),
        'bool',
      )}, ${sql.array(
        change((entry) => entry.trackingNumber),
        'text',
      )}, ${sql.array(
        change((entry) => entry.cancelled),
        'bool',
      )}, ${sql.array(
        change((entry) => entry.reason),
        'text',
      )}, ${sql.array(
        change((entry) => entry.version),
        'int4',
      )}, ${sql.array(
        change((entry) => entry.updatedAt),
        'text',
      )}) AS c (tenant_id, order_id, status, shipped, tracking_number, cancelled, reason, version, updated_at))`;
}

/**
 * The orders projection over a run of events, in at most two statements: one
 * multi-row insert of the orders placed in the run, with their later events
 * of the run already folded in, then one update of the other orders the run
 * changed (items appended in order, the last status, tracking number and
 * reason, the last version and time). The same rows the handlers write one
 * event at a time; what a rebuild replays with.
 */
export const applyOrders: BulkApply = async (tx, events, target) => {
  const run = fold(events);
  if (!run) return false;
  const orders = tableIn(target, 'orders');
  const inserted = new Set<string>();
  if (run.placed.length > 0) {
    const placedKeys = new Set(run.placed.map((event) => `${event.tenantId}/${event.aggregateId}`));
    const column = <T>(pick: (event: ProjectedEvent) => T) => run.placed.map(pick);
    const lines = column((event) =>
      JSON.stringify(
        dataOf<OrderPlaced['data']>(event).items.map(({ sku, quantity, unitPrice }) => ({
          sku,
          quantity,
          unitPrice,
        })),
      ),
    );
    const rows = (await tx.any(sql.unsafe`
      WITH ${changeRelations(
        run.changes.filter((change) => placedKeys.has(change.key)),
        run.added.filter((item) => placedKeys.has(item.key)),
      )}
      INSERT INTO ${orders} (tenant_id, order_id, customer_id, status, currency, items, total,
                             placed_position, placed_at, updated_at, version, tracking_number, cancellation_reason)
      SELECT p.tenant_id, p.order_id, p.customer_id, coalesce(c.status, 'placed'), p.currency,
             CASE WHEN a.items IS NULL THEN p.lines ELSE p.lines || a.items END,
             (SELECT coalesce(sum((line->>'quantity')::numeric * (line->>'unitPrice')::numeric), 0)
                FROM jsonb_array_elements(p.lines) AS line) + coalesce(a.total, 0),
             p.placed_position, p.occurred_at::timestamptz,
             coalesce(c.updated_at, p.occurred_at)::timestamptz, coalesce(c.version, p.version),
             CASE WHEN c.shipped THEN c.tracking_number END, CASE WHEN c.cancelled THEN c.reason END
        FROM unnest(${sql.array(
          column((event) => event.tenantId),
          'uuid',
        )}, ${sql.array(
          column((event) => event.aggregateId),
          'uuid',
        )}, ${sql.array(
          column((event) => dataOf<OrderPlaced['data']>(event).customerId),
          'text',
        )}, ${sql.array(
          column((event) => dataOf<OrderPlaced['data']>(event).currency),
          'text',
        )}, ${sql.array(lines, 'jsonb')}, ${sql.array(
          column((event) => event.globalPosition),
          'int8',
        )}, ${sql.array(
          column((event) => event.occurredAt.toISOString()),
          'text',
        )}, ${sql.array(
          column((event) => event.aggregateVersion),
          'int4',
        )}) WITH ORDINALITY
          AS p (tenant_id, order_id, customer_id, currency, lines, placed_position, occurred_at, version, n)
        LEFT JOIN changes c ON c.tenant_id = p.tenant_id AND c.order_id = p.order_id
        LEFT JOIN added a ON a.tenant_id = p.tenant_id AND a.order_id = p.order_id
       ORDER BY p.n
      ON CONFLICT (tenant_id, order_id) DO NOTHING
      RETURNING tenant_id, order_id`)) as readonly { tenant_id: string; order_id: string }[];
    for (const row of rows) inserted.add(`${row.tenant_id}/${row.order_id}`);
  }
  // An order placed before the run, or (never in a sound event store) placed twice: its changes apply to the row there.
  const changes = run.changes.filter((change) => !inserted.has(change.key));
  if (changes.length === 0) return true;
  await tx.query(sql.unsafe`
    WITH ${changeRelations(
      changes,
      run.added.filter((item) => !inserted.has(item.key)),
    )}
    UPDATE ${orders} AS o
       SET items = CASE WHEN a.items IS NULL THEN o.items ELSE o.items || a.items END,
           total = CASE WHEN a.total IS NULL THEN o.total ELSE o.total + a.total END,
           status = coalesce(c.status, o.status),
           tracking_number = CASE WHEN c.shipped THEN c.tracking_number ELSE o.tracking_number END,
           cancellation_reason = CASE WHEN c.cancelled THEN c.reason ELSE o.cancellation_reason END,
           version = c.version, updated_at = c.updated_at::timestamptz
      FROM changes c LEFT JOIN added a ON a.tenant_id = c.tenant_id AND a.order_id = c.order_id
     WHERE o.tenant_id = c.tenant_id AND o.order_id = c.order_id`);
  return true;
};
