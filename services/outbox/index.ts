/**
 * The transactional outbox and its lanes: the owner of the outbox,
 * relay_lanes, relay_replicas, relay_halted_tenants and relay_accepted_records
 * tables (migrations/), which nothing else queries. The relay publishes
 * through it: pages of rows with their events, pruning, halted tenants, lane
 * leases, the doorbell, the records left on Kafka after a restore, the rows a
 * tenant's recovery drops (withdrawn-rows.ts), and what
 * operators read of them and resume (relay-state.ts: the console, the CLI).
 *
 * The one sanctioned crossing: the event store's append (stored_append, which
 * append_to_stream and append_to_streams call, services/eventstore/migrations/
 * 0007 and 0010) inserts each event's outbox row in the append's own
 * transaction. That is what makes the outbox
 * transactional: an event is stored with its row or not at all. The event
 * store also rings the doorbell after its appends commit (OutboxDoorbell). In
 * the other direction the outbox reads events only through the event store's
 * events_at function (its page, relay_outbox_page), never the events table.
 *
 * The lane count is written once, in SQL (outbox_lane_count(), migration 0017).
 */
export { type AcceptedRecord, AcceptedRecords, recordPlace } from './accepted-records.ts';
export { type LaneShare, LaneLeases } from './lane-leases.ts';
export { type LaneCursor, type LaneRead, Outbox, type OutboxEntry } from './outbox.ts';
export { OutboxDoorbell, ringThrough } from './outbox-doorbell.ts';
export { OutboxNotifications } from './outbox-notifications.ts';
export {
  type HaltedTenant,
  haltedTenants,
  type LaneState,
  laneStates,
  type OutboxBacklog,
  outboxBacklog,
  type RelayReplica,
  relayReplicas,
  resumeTenant,
} from './relay-state.ts';
export { dropWithdrawnRows } from './withdrawn-rows.ts';
