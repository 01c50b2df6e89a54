export {
  type AppendOptions,
  type EventStore,
  type PersonalDataSealer,
  type LoadedStream,
  type ReadAllResult,
  type ReadStreamOptions,
  type ReplayReadOptions,
  type ReplayScope,
  type ReplayWindow,
  type StreamPoint,
} from './event-store.ts';
export { checkpointOfCursor, eventCursor } from './event-cursor.ts';
export { InMemoryEventStore } from './in-memory-event-store.ts';
export type { AppendedEvent, InlineProjection } from './inline-projection.ts';
export { PostgresEventStore } from './postgres-event-store.ts';
export { type EventId, newEventId, newStreamId, type StreamId, streamId } from './ids.ts';
export { MIGRATIONS_DIR, migrate } from './migrate.ts';
export {
  type AppendResult,
  type Checkpoint,
  type EventPoint,
  type CommitRange,
  compareCheckpoints,
  isWithin,
  type EventMetadata,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type ReplayedEvent,
  START,
  type StreamRef,
} from './records.ts';
export { type EventRef, storeHoldings, type StoreHoldings } from './stored-events.ts';
export {
  type HistoryScope,
  lockTenantWrites,
  readTenantHistory,
  replaceTenantHistory,
  type TenantHistory,
  type TenantReplacement,
} from './tenant-recovery.ts';
export {
  type ArchivingReport,
  type ArchivingScope,
  archiveIdleStreams,
  unarchiveStream,
} from './stream-archive.ts';
export { type StreamPage, type StreamSummary, StreamListing } from './stream-listing.ts';
export { type Upcaster, Upcasters } from './upcasters.ts';
