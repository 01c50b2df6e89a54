-- Up Migration

-- A data key is now made by the process that seals with it and stored by the
-- append that first uses it, in that append's own statement: it commits with
-- the event, in the same WAL flush, and sealing asks the database nothing.
-- So a subject can hold several keys (one per gateway process and few seconds
-- of activity); forgetting destroys them all, as it always selected by subject.
DROP FUNCTION personal_data_active_keys(uuid, text[], text[], text[]);
DROP INDEX personal_data_keys_active;
CREATE INDEX personal_data_keys_subject ON personal_data_keys (tenant_id, subject);

-- Stores the keys given, [{"tenantId", "subject", "keyId", "wrapped"}], each
-- tenant's under its own tenant setting (row-level security holds each insert to
-- it). A key already stored, or already destroyed, stays as it is: an append
-- sends again the keys it seals with, and a destroyed key never comes back.
-- Answers how many were new.
CREATE FUNCTION personal_data_keep_keys(p_keys jsonb) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = public, pg_temp
  AS $$
  DECLARE
    v_tenant uuid;
    v_kept integer := 0;
    v_rows integer;
  BEGIN
    FOR v_tenant IN SELECT DISTINCT (k ->> 'tenantId')::uuid FROM jsonb_array_elements(p_keys) AS k LOOP
      PERFORM set_config('eventline.tenant_id', v_tenant::text, true);
      INSERT INTO personal_data_keys (tenant_id, subject, key_id, wrapped_key)
        SELECT v_tenant, k ->> 'subject', k ->> 'keyId', k ->> 'wrapped'
          FROM jsonb_array_elements(p_keys) AS k
         WHERE (k ->> 'tenantId')::uuid = v_tenant
        ON CONFLICT (tenant_id, key_id) DO NOTHING;
      GET DIAGNOSTICS v_rows = ROW_COUNT;
      v_kept := v_kept + v_rows;
    END LOOP;
    RETURN v_kept;
  END
  $$;
REVOKE ALL ON FUNCTION personal_data_keep_keys(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION personal_data_keep_keys(jsonb) TO eventline_service;

-- Down Migration
-- Fails while a subject holds more than one active key: destroy or merge them first.
DROP FUNCTION personal_data_keep_keys(jsonb);
DROP INDEX personal_data_keys_subject;
CREATE UNIQUE INDEX personal_data_keys_active ON personal_data_keys (tenant_id, subject) WHERE destroyed_at IS NULL;
-- What 2002 made, for the code before this migration:
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
