import { type ProjectedEvent, type Projection, projectionNamed } from '../../services/readmodels/index.ts';

/**
 * The shipped orders projection with a guard run before each OrderPlaced is
 * applied (to throw: a poison event; to wait: a blocked handler), on both its
 * ways in: the handler, and the bulk apply a batch takes first. A bulk run
 * holding a guarded event throws as a handler would, so the batch is redone
 * event by event, where the guard meets the event alone.
 */
export function guardedOrders(guard: (event: ProjectedEvent) => Promise<void> | void): Projection {
  const shipped = projectionNamed('orders');
  return {
    ...shipped,
    handlers: {
      ...shipped.handlers,
      async OrderPlaced(tx, event, target) {
        await guard(event);
        await shipped.handlers.OrderPlaced?.(tx, event, target);
      },
    },
    async applyMany(tx, events, target, shared) {
      for (const event of events) if (event.type === 'OrderPlaced') await guard(event);
      return (await shipped.applyMany?.(tx, events, target, shared)) ?? false;
    },
  };
}
