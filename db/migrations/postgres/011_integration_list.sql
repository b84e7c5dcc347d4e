-- The integrations list (issue 12): every filter of the page walks an
-- index newest first, so a page reads its LIMIT rows whatever the table's
-- size; the keyset cursor is a bound on the trailing (created_at, id).
-- Team alone uses integrations_team_created (001).
CREATE INDEX integrations_provider_created ON integrations (provider, created_at DESC, id DESC);
CREATE INDEX integrations_status_created ON integrations (status, created_at DESC, id DESC);
CREATE INDEX integrations_team_provider_created ON integrations (team_id, provider, created_at DESC, id DESC);
CREATE INDEX integrations_team_status_created ON integrations (team_id, status, created_at DESC, id DESC);
-- The name search is a prefix of the lower-cased name, compared bytewise
-- (COLLATE "C"), so it is an index range in any database collation.
CREATE INDEX integrations_name_prefix ON integrations ((lower(name) COLLATE "C"));

-- A rotation's successor names the row it replaced, so the list links a
-- revoked key to its successor instead of showing two identical rows.
ALTER TABLE integrations ADD COLUMN replaces_id uuid REFERENCES integrations (id) ON DELETE SET NULL;
CREATE INDEX integrations_replaces ON integrations (replaces_id) WHERE replaces_id IS NOT NULL;
-- Rotations made before this migration are in the audit log.
UPDATE integrations i SET replaces_id = o.id
FROM audit_events a JOIN integrations o ON o.id::text = a.details->>'replaces'
WHERE a.action = 'integration.rotate' AND a.target_id = i.id::text AND o.id <> i.id;
