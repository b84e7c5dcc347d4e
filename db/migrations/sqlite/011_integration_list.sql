-- The integrations list (issue 12): every filter of the page walks an
-- index newest first, so a page reads its LIMIT rows whatever the table's
-- size; the keyset cursor is a bound on the trailing (created_at, id).
-- Team alone uses integrations_team_created (001).
CREATE INDEX integrations_provider_created ON integrations (provider, created_at DESC, id DESC);
CREATE INDEX integrations_status_created ON integrations (status, created_at DESC, id DESC);
CREATE INDEX integrations_team_provider_created ON integrations (team_id, provider, created_at DESC, id DESC);
CREATE INDEX integrations_team_status_created ON integrations (team_id, status, created_at DESC, id DESC);
-- The name search is a prefix of the lower-cased name (SQLite compares
-- text bytewise), an index range.
CREATE INDEX integrations_name_prefix ON integrations (lower(name));

-- A rotation's successor names the row it replaced, so the list links a
-- revoked key to its successor instead of showing two identical rows.
ALTER TABLE integrations ADD COLUMN replaces_id text REFERENCES integrations (id) ON DELETE SET NULL;
CREATE INDEX integrations_replaces ON integrations (replaces_id) WHERE replaces_id IS NOT NULL;
-- Rotations made before this migration are in the audit log.
UPDATE integrations SET replaces_id = (
    SELECT o.id FROM audit_events a JOIN integrations o ON o.id = json_extract(a.details, '$.replaces')
    WHERE a.action = 'integration.rotate' AND a.target_id = integrations.id AND o.id <> integrations.id LIMIT 1)
WHERE id IN (SELECT target_id FROM audit_events WHERE action = 'integration.rotate');
