-- Up Migration

-- events_at (0016, 0037) is the relay's only way to its page's events, and
-- PL/pgSQL keeps its plan for the relay's session. A plan made in a new
-- store's first seconds, before autovacuum's first ANALYZE of events, was a
-- sequential scan of each partition (auto_explain in a `relay` bench run),
-- kept while the table grew: at 2,000 events/s PostgreSQL's time per call went
-- from 0.5 to 5.8 ms over 10 s (pg_stat_user_functions), and back to 0.3 ms
-- once that ANALYZE came. A probe of each partition's primary key per position
-- is the only plan it should have, so its planner settings leave it that one
-- from the first call: statements of the relay over 2 ms in that run's first
-- round, 3,020 before, 290 after.
ALTER FUNCTION events_at(bigint[]) SET enable_seqscan = off SET enable_bitmapscan = off;

-- Down Migration
ALTER FUNCTION events_at(bigint[]) RESET ALL;
