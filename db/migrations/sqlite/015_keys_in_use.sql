-- Node keys and API tokens in use (issue 14); see the PostgreSQL file.
ALTER TABLE integrations ADD COLUMN last_used_at TIMESTAMP;
ALTER TABLE integrations ADD COLUMN rolled_to text;
CREATE INDEX integrations_node_api_key ON integrations (json_extract(attrs, '$.api_key')) WHERE provider = 'node-api-key';
CREATE INDEX integrations_expiring ON integrations (expires_at) WHERE expires_at IS NOT NULL;

ALTER TABLE api_tokens ADD COLUMN rolled_to text;
DROP INDEX api_tokens_team_live_name;
CREATE UNIQUE INDEX api_tokens_team_live_name ON api_tokens (team_id, name) WHERE revoked_at IS NULL AND rolled_to IS NULL;
CREATE INDEX api_tokens_expiring ON api_tokens (expires_at) WHERE expires_at IS NOT NULL AND revoked_at IS NULL;

CREATE TABLE key_events (
    target_type text NOT NULL,
    target_id   text NOT NULL,
    kind        text NOT NULL,
    at          TIMESTAMP NOT NULL,
    PRIMARY KEY (target_type, target_id, kind)
);

CREATE TABLE key_verifications (
    integration_id text NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    day            text NOT NULL,
    count          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, day)
);
