-- Up Migration

-- The admin console and API list a tenant's streams by aggregate type, a keyset
-- page at a time. The columns never change after a stream's first append, so the
-- appends' updates of version and updated_at stay heap-only (HOT): the index
-- costs the write path nothing after a stream is created.
CREATE INDEX streams_by_type ON streams (tenant_id, stream_type, stream_id);

-- Down Migration
DROP INDEX streams_by_type;
