-- Up Migration

-- The relay's commit-to-ack latency starts at a row's enqueued_at. now() is the
-- appending transaction's start, so the figure also held the append's own work
-- (its lock waits and inserts), which is the writer's, not the relay's.
-- clock_timestamp() is read as the row is written, in the append's statement:
-- what remains before the relay can see the row is the rest of the transaction
-- (inline projections, when the stream has any) and its commit.
ALTER TABLE outbox ALTER COLUMN enqueued_at SET DEFAULT clock_timestamp();

-- Down Migration
ALTER TABLE outbox ALTER COLUMN enqueued_at SET DEFAULT now();
