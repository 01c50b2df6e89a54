-- Up Migration

-- The lock a live round of a projection holds shared and a rebuild's swap
-- exclusively (services/readmodels/rebuild/swap-lock.ts): its key, in one place.
CREATE FUNCTION readmodels.projection_tables_lock_key(p_projection text) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT hashtextextended('eventline.projection-tables:' || p_projection, 0) $$;

-- What a live round does before it writes, in one round trip where it took
-- three (five on a partition's first batch), each a write system call that
-- the projector's profiles showed as its largest cost: the projections' swap
-- locks shared, in the names' order; each partition's checkpoint row, made at
-- -1 when missing, locked in key order (two replicas overlapping in a
-- rebalance serialise on these rows; two rounds never wait in a cycle); and
-- the watermarks of the (projection, tenant) pairs the records name. A
-- checkpoint row has topic set and tenant_id null, a watermark the reverse.
CREATE FUNCTION readmodels.open_projection_round(
  p_projections text[], p_topics text[], p_partitions integer[],
  p_mark_projections text[], p_mark_tenants uuid[])
  RETURNS TABLE (projection text, topic text, partition integer, next_offset bigint,
                 tenant_id uuid, transaction_id text, global_position bigint)
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock_shared(readmodels.projection_tables_lock_key(name))
       FROM (SELECT DISTINCT unnest(p_projections) AS name ORDER BY 1) AS names;
    IF (SELECT count(*) FROM readmodels.checkpoints c
         WHERE (c.projection, c.topic, c.partition) IN
               (SELECT * FROM unnest(p_projections, p_topics, p_partitions)))
       < (SELECT count(DISTINCT (k.p, k.t, k.n)) FROM unnest(p_projections, p_topics, p_partitions) AS k (p, t, n)) THEN
      INSERT INTO readmodels.checkpoints (projection, topic, partition, next_offset)
      SELECT k.p, k.t, k.n, -1 FROM unnest(p_projections, p_topics, p_partitions) AS k (p, t, n)
      ON CONFLICT DO NOTHING;
    END IF;
    RETURN QUERY
      SELECT c.projection, c.topic, c.partition, c.next_offset, NULL::uuid, NULL::text, NULL::bigint
        FROM readmodels.checkpoints c
       WHERE (c.projection, c.topic, c.partition) IN
             (SELECT * FROM unnest(p_projections, p_topics, p_partitions))
       ORDER BY c.projection, c.topic, c.partition
         FOR UPDATE OF c;
    RETURN QUERY
      SELECT w.projection, NULL::text, NULL::integer, NULL::bigint, w.tenant_id,
             w.transaction_id::text, w.global_position
        FROM readmodels.watermarks w
       WHERE (w.projection, w.tenant_id) IN (SELECT * FROM unnest(p_mark_projections, p_mark_tenants));
  END
  $$;
REVOKE ALL ON FUNCTION readmodels.open_projection_round(text[], text[], integer[], text[], uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION readmodels.open_projection_round(text[], text[], integer[], text[], uuid[])
  TO eventline_projector;

-- Down Migration
DROP FUNCTION readmodels.open_projection_round(text[], text[], integer[], text[], uuid[]);
DROP FUNCTION readmodels.projection_tables_lock_key(text);
