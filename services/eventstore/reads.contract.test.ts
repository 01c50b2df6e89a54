/**
 * What every EventStore answers about positions and replays, written once and
 * run on each implementation (in-memory-event-store.unit.test.ts,
 * event-store.int.test.ts, which import it: jest runs no *.contract.test.ts
 * on its own), so the in-memory store stays a faithful model. The store may
 * hold other tests' events: every assertion looks only at tenants and points
 * of its own.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '../../test/support/wait.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import type { EventStore, ReplayScope } from './event-store.ts';
import { newStreamId } from './ids.ts';
import { type Checkpoint, compareCheckpoints, type RecordedEvent, START } from './records.ts';

const meta = { correlationId: 'corr-1', causationId: null };
const placed = { customerId: 'c-1', currency: 'EUR', items: [{ sku: 'sku-1', quantity: 1, unitPrice: 10 }] };
const pointOf = (event: RecordedEvent): Checkpoint => ({
  transactionId: event.transactionId,
  position: event.globalPosition,
});
/** Just before the event: no event of another append sorts between the two. */
const justBefore = (event: RecordedEvent): Checkpoint => ({
  transactionId: event.transactionId,
  position: event.globalPosition - 1,
});

/** An order of its own for the tenant: placed, then shipped, in two appends (two transactions). */
async function anOrder(store: EventStore, tenant: TenantId): Promise<[RecordedEvent, RecordedEvent]> {
  const stream = { id: newStreamId(), type: 'Order', context: 'orders' };
  await store.appendToStream(tenant, stream, 'no-stream', [{ type: 'OrderPlaced', data: placed }], meta);
  await store.appendToStream(
    tenant,
    stream,
    1,
    [{ type: 'OrderShipped', data: { trackingNumber: 'T' } }],
    meta,
  );
  const [placedEvent, shipped] = await store.readStream(tenant, stream.id);
  if (!placedEvent || !shipped) throw new Error(`the order ${stream.id} was not stored`);
  return [placedEvent, shipped];
}

/**
 * @param stores the store under test, and one on the same events that reads every
 *   tenant (on PostgreSQL the services' role sees one tenant at a time)
 */
export function readsContract(stores: () => { store: EventStore; everyTenant: EventStore }): void {
  test('checkpointOf: the tenant event at a position, with its transaction id and type; another tenant finds nothing', async () => {
    const { store } = stores();
    const [tenant, other] = [tenantId(randomUUID()), tenantId(randomUUID())];
    const [first] = await anOrder(store, tenant);
    expect(await store.checkpointOf(tenant, first.globalPosition)).toEqual({
      ...pointOf(first),
      eventType: first.type,
    });
    expect(await store.checkpointOf(other, first.globalPosition)).toBeUndefined();
    expect(await store.checkpointOf(tenant, 2 ** 40)).toBeUndefined();
  });

  test('hasEventsBetween: only events of the types asked, after one point and up to the other', async () => {
    const { store } = stores();
    const tenant = tenantId(randomUUID());
    const [placedEvent, shipped] = await anOrder(store, tenant);
    const range = { after: pointOf(placedEvent), upTo: pointOf(shipped) };
    expect(await store.hasEventsBetween(tenant, range, ['OrderShipped'])).toBe(true);
    expect(await store.hasEventsBetween(tenant, range, ['OrderPlaced', 'OrderCancelled'])).toBe(false);
    expect(await store.hasEventsBetween(tenant, { ...range, after: range.upTo }, ['OrderShipped'])).toBe(
      false,
    );
  });

  test("checkpointsOf: every tenant's events at the positions; a position of no event is left out", async () => {
    const { store, everyTenant } = stores();
    const [a] = await anOrder(store, tenantId(randomUUID()));
    const [, b] = await anOrder(store, tenantId(randomUUID()));
    const found = await everyTenant.checkpointsOf([a.globalPosition, b.globalPosition, 2 ** 40]);
    expect(found).toEqual(
      new Map([
        [a.globalPosition, pointOf(a)],
        [b.globalPosition, pointOf(b)],
      ]),
    );
  });

  test('readReplay walks the commit order in windows and keeps the scope: ranges, types, events left out', async () => {
    const { store, everyTenant } = stores();
    const [t1, t2, t3] = [tenantId(randomUUID()), tenantId(randomUUID()), tenantId(randomUUID())];
    const first = await anOrder(store, t1);
    const second = await anOrder(store, t2);
    const third = await anOrder(store, t3);
    const later = await anOrder(store, t1);
    const scope: ReplayScope = {
      // t1 up to its first order only, t2 after its OrderPlaced, t3 not at all.
      ranges: new Map([
        [t1, { after: justBefore(first[0]), upTo: pointOf(first[1]) }],
        [t2, { after: pointOf(second[0]), upTo: pointOf(later[1]) }],
      ]),
      types: ['OrderPlaced', 'OrderShipped'],
      except: new Set([first[1].eventId]),
    };
    const expected = [first[0], second[1]].map((event) => event.eventId);

    const windows: { events: string[]; next: Checkpoint | undefined }[] = [];
    let after: Checkpoint | undefined = justBefore(first[0]);
    while (after) {
      const window = await everyTenant.readReplay(scope, after, pointOf(later[1]), 3);
      windows.push({ events: window.events.map((event) => event.eventId), next: window.next });
      after = window.next;
    }
    expect(windows).toEqual([
      { events: [first[0].eventId], next: pointOf(second[0]) },
      { events: [second[1].eventId], next: pointOf(third[1]) },
      { events: [], next: undefined },
    ]);
    expect(await everyTenant.countReplay(scope)).toBe(expected.length);
    expect(await everyTenant.countReplay({ ...scope, ranges: new Map() })).toBe(0);
  });

  test('readAllHolding walks the commit order in bounded steps and keeps the events holding a text', async () => {
    const { store } = stores();
    const tenant = tenantId(randomUUID());
    const [placedEvent, shipped] = await anOrder(store, tenant);
    const [laterPlaced, laterShipped] = await anOrder(store, tenant);
    // As readAll, a walk stops at transactions still running anywhere (PostgreSQL's horizon): wait past it.
    const walk = (after: Checkpoint, texts: readonly string[], size: number, to: RecordedEvent) =>
      waitFor('the walk past the horizon', async () => {
        const step = await store.readAllHolding(tenant, after, texts, size);
        return compareCheckpoints(step.checkpoint, pointOf(to)) >= 0 ? step : undefined;
      });
    const ids = (events: readonly RecordedEvent[]) => events.map((event) => event.eventId);
    // Two events a step: each OrderPlaced holds the sku; the OrderShipped after it ends the step.
    const first = await walk(justBefore(placedEvent), ['sku-1'], 2, shipped);
    expect({ events: ids(first.events), checkpoint: first.checkpoint }).toEqual({
      events: [placedEvent.eventId],
      checkpoint: pointOf(shipped),
    });
    const second = await walk(first.checkpoint, ['sku-1'], 2, laterShipped);
    expect({ events: ids(second.events), checkpoint: second.checkpoint }).toEqual({
      events: [laterPlaced.eventId],
      checkpoint: pointOf(laterShipped),
    });
    expect(await store.readAllHolding(tenant, second.checkpoint, ['sku-1'], 2)).toEqual({
      events: [],
      checkpoint: pointOf(laterShipped),
    });
    // A LIKE wildcard is matched as itself, never as "any character"; no text finds nothing.
    expect((await walk(justBefore(placedEvent), ['sku_1', '%'], 10, laterShipped)).events).toEqual([]);
    expect(await store.readAllHolding(tenant, justBefore(placedEvent), [], 10)).toEqual({
      events: [],
      checkpoint: justBefore(placedEvent),
    });
  });

  test("lastCommitted: the tenant's last event as a point of the commit order; START for a tenant without any", async () => {
    const { store } = stores();
    const tenant = tenantId(randomUUID());
    expect(await store.lastCommitted(tenant)).toEqual(START);
    await anOrder(store, tenant);
    const [, shipped] = await anOrder(store, tenant);
    await anOrder(store, tenantId(randomUUID()));
    expect(await store.lastCommitted(tenant)).toEqual(pointOf(shipped));
  });

  test("readEventsById: every tenant's events with the ids, in commit order", async () => {
    const { store, everyTenant } = stores();
    const [a] = await anOrder(store, tenantId(randomUUID()));
    const [, b] = await anOrder(store, tenantId(randomUUID()));
    const found = await everyTenant.readEventsById([b.eventId, randomUUID(), a.eventId]);
    expect(found.map((event) => [event.eventId, event.tenantId, event.type, event.data])).toEqual([
      [a.eventId, a.tenantId, 'OrderPlaced', placed],
      [b.eventId, b.tenantId, 'OrderShipped', { trackingNumber: 'T' }],
    ]);
  });
}
