import type { Decider, DomainCommand, DomainEvent } from './kernel/index.ts';
import { orderDecider } from './orders/index.ts';
import { tenantDecider } from './tenants/index.ts';

/** A decider of any context, as the platform handles it: by command and event type, not by its own types. */
export type AnyDecider = Decider<DomainCommand, DomainEvent, unknown>;

/** Every bounded context the platform serves. Adding one is adding its decider here. */
export const boundedContexts: readonly AnyDecider[] = [tenantDecider, orderDecider];

function indexBy(
  key: (decider: AnyDecider) => Iterable<string>,
  what: string,
): ReadonlyMap<string, AnyDecider> {
  const index = new Map<string, AnyDecider>();
  for (const decider of boundedContexts) {
    for (const name of key(decider)) {
      const taken = index.get(name);
      // A name claimed twice would route silently to whichever came first.
      if (taken)
        throw new Error(`${what} "${name}" is declared by both ${taken.context} and ${decider.context}`);
      index.set(name, decider);
    }
  }
  return index;
}

const byCommand = indexBy((decider) => Object.keys(decider.commands), 'command type');
const byAggregateType = indexBy((decider) => [decider.aggregateType], 'aggregate type');
// Each context names its own topic and schema folder, so two would share them.
indexBy((decider) => [decider.context], 'context');

/** The decider that handles a command type; undefined for a type no context declares. */
export function deciderForCommand(type: string): AnyDecider | undefined {
  return byCommand.get(type);
}

/** The decider whose aggregates carry this type, as stored with their events. */
export function deciderForAggregateType(aggregateType: string): AnyDecider | undefined {
  return byAggregateType.get(aggregateType);
}
