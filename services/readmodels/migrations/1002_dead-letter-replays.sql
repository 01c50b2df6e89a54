-- Up Migration

-- `eventline dlq replay` applies a parked event once its projection is fixed. The
-- row stays (the event is still out of its original order) and records when it
-- was applied and where the tenant's watermark stood then: the consistency check
-- replays it at that same point, so the read model still equals its replay, and a
-- second replay finds it done.
ALTER TABLE readmodels.dead_letters
  ADD COLUMN replayed_at timestamptz,
  ADD COLUMN replayed_after_transaction_id xid8,
  ADD COLUMN replayed_after_position bigint;

-- Down Migration
ALTER TABLE readmodels.dead_letters
  DROP COLUMN replayed_at,
  DROP COLUMN replayed_after_transaction_id,
  DROP COLUMN replayed_after_position;
