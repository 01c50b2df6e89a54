-- Up Migration

-- Subjects' active keys in one round trip, for sealing: the keys given for
-- subjects that have none yet are stored first (a concurrent maker's key wins,
-- by the unique index), then every listed subject's active key is returned.
-- It acts for p_tenant, so row-level security holds it to that tenant.
--
-- A new key commits without waiting for its WAL flush: the first event sealed
-- with it commits later, durably, and a flush reaches every WAL record before
-- its own, the key's included. So a key is as durable as anything sealed with
-- it, and a new subject costs one flush (the append's), not two.
CREATE FUNCTION personal_data_active_keys(
  p_tenant uuid, p_subjects text[], p_new_key_ids text[], p_new_wrapped text[]
) RETURNS TABLE (subject text, key_id text, wrapped_key text)
  LANGUAGE plpgsql VOLATILE
  SET search_path = public, pg_temp
  AS $$
  #variable_conflict use_column
  BEGIN
    PERFORM set_config('eventline.tenant_id', p_tenant::text, true);
    IF cardinality(p_new_key_ids) > 0 THEN
      PERFORM set_config('synchronous_commit', 'off', true);
      INSERT INTO personal_data_keys (tenant_id, subject, key_id, wrapped_key)
        SELECT p_tenant, n.subject, n.key_id, n.wrapped
          FROM unnest(p_subjects, p_new_key_ids, p_new_wrapped) AS n(subject, key_id, wrapped)
        ON CONFLICT (tenant_id, subject) WHERE destroyed_at IS NULL DO NOTHING;
    END IF;
    RETURN QUERY
      SELECT k.subject, k.key_id, k.wrapped_key FROM personal_data_keys k
       WHERE k.tenant_id = p_tenant AND k.subject = ANY(p_subjects) AND k.destroyed_at IS NULL;
  END
  $$;
REVOKE ALL ON FUNCTION personal_data_active_keys(uuid, text[], text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION personal_data_active_keys(uuid, text[], text[], text[]) TO eventline_service;

-- Down Migration
DROP FUNCTION personal_data_active_keys(uuid, text[], text[], text[]);
