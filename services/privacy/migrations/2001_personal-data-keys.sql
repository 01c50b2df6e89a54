-- Up Migration

-- Each data subject's data key (crypto-shredding): the personal data of events
-- is stored and published only encrypted with it, and forgetting the subject
-- destroys it. Keys are stored wrapped by a key-encryption key the database
-- never sees (PERSONAL_DATA_KEK). A destroyed key keeps its row, without the
-- key, so what was erased and when stays known; one key is active per subject.
CREATE TABLE personal_data_keys (
  tenant_id uuid NOT NULL,
  subject text NOT NULL CHECK (subject <> ''),
  key_id text NOT NULL,
  wrapped_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  destroyed_at timestamptz,
  PRIMARY KEY (tenant_id, key_id),
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);
CREATE UNIQUE INDEX personal_data_keys_active ON personal_data_keys (tenant_id, subject) WHERE destroyed_at IS NULL;

ALTER TABLE personal_data_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON personal_data_keys
  USING (tenant_id = current_tenant_id())
  WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON personal_data_keys TO eventline_service;

-- No other role reads it: the projector copies sealed values as they are, and only
-- the gateway and the CLI (as the tenant, or the owner) open them.

-- Down Migration
DROP TABLE personal_data_keys;
