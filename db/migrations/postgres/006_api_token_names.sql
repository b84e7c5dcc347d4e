-- A team's live (not revoked) API tokens have distinct names, so the tokens
-- page and the audit log can tell them apart. Names that already repeat get
-- the first characters of their id appended, oldest token keeping its name.
UPDATE api_tokens t SET name = t.name || ' (' || left(t.id::text, 8) || ')'
WHERE t.revoked_at IS NULL AND EXISTS (
    SELECT 1 FROM api_tokens o
    WHERE o.team_id = t.team_id AND o.name = t.name AND o.revoked_at IS NULL
      AND (o.created_at, o.id) < (t.created_at, t.id));
CREATE UNIQUE INDEX api_tokens_team_live_name ON api_tokens (team_id, name) WHERE revoked_at IS NULL;
