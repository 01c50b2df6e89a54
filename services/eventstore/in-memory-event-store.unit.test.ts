/**
 * The in-memory store answers position and replay reads as PostgreSQL does
 * (the same contract runs in event-store.int.test.ts).
 */
import { InMemoryEventStore } from './in-memory-event-store.ts';
import { readsContract } from './reads.contract.test.ts';

let store: InMemoryEventStore;

beforeEach(() => {
  store = new InMemoryEventStore();
});

describe('position and replay reads', () => {
  readsContract(() => ({ store, everyTenant: store }));
});
