-- A team's live (not revoked) API tokens have distinct names, so the tokens
-- page and the audit log can tell them apart. Names that already repeat get
-- the first characters of their id appended, oldest token keeping its name.
UPDATE api_tokens SET name = name || ' (' || substr(id, 1, 8) || ')'
WHERE revoked_at IS NULL AND EXISTS (
    SELECT 1 FROM api_tokens o
    WHERE o.team_id = api_tokens.team_id AND o.name = api_tokens.name AND o.revoked_at IS NULL
      AND (o.created_at < api_tokens.created_at OR (o.created_at = api_tokens.created_at AND o.id < api_tokens.id)));
CREATE UNIQUE INDEX api_tokens_team_live_name ON api_tokens (team_id, name) WHERE revoked_at IS NULL;
