-- Node keys and API tokens in use (issue 14). A node key is looked up by its
-- api_key for verification (the key is not secret; its secret is checked
-- against the keyed hash). last_used_at is written at most once a minute.
-- rolled_to names the successor of a key or token rolled with a grace
-- period: the old one keeps working until its expires_at, leaves the
-- uniqueness rule (one live key per node, one live name per team) and gets
-- no expiry warnings. key_events claims each lifecycle event of a key or
-- token once across instances (grace ended, expiring in 7 days / 1 day):
-- the first instance to insert the row writes the audit event.
ALTER TABLE integrations ADD COLUMN last_used_at timestamptz;
ALTER TABLE integrations ADD COLUMN rolled_to uuid;
CREATE INDEX integrations_node_api_key ON integrations ((attrs->>'api_key')) WHERE provider = 'node-api-key';
CREATE INDEX integrations_expiring ON integrations (expires_at) WHERE expires_at IS NOT NULL;

ALTER TABLE api_tokens ADD COLUMN rolled_to uuid;
DROP INDEX api_tokens_team_live_name;
CREATE UNIQUE INDEX api_tokens_team_live_name ON api_tokens (team_id, name) WHERE revoked_at IS NULL AND rolled_to IS NULL;
CREATE INDEX api_tokens_expiring ON api_tokens (expires_at) WHERE expires_at IS NOT NULL AND revoked_at IS NULL;

CREATE TABLE key_events (
    target_type text NOT NULL,
    target_id   text NOT NULL,
    kind        text NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (target_type, target_id, kind)
);

-- Verifications are counted per key and UTC day, not audited one by one;
-- each instance adds its tally about once a minute.
CREATE TABLE key_verifications (
    integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    day            date NOT NULL,
    count          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (integration_id, day)
);
