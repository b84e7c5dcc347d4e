-- Secret syncs: integration auths (a credential for one target service,
-- sealed, or a reference to an Infisical app connection so a rotation of the
-- connection reaches every sync), integrations (one environment and folder
-- synced into one target) and their sync jobs.
CREATE TABLE integration_auths (
    id                text PRIMARY KEY,
    team_id           text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    integration       text NOT NULL,
    url               text NOT NULL DEFAULT '',
    namespace         text NOT NULL DEFAULT '',
    aws_role_arn      text NOT NULL DEFAULT '',
    connection_id     text REFERENCES integrations (id) ON DELETE CASCADE,
    secret_key_id     text,
    secret_ciphertext blob,
    created_by        text NOT NULL DEFAULT '',
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX integration_auths_team ON integration_auths (team_id, created_at);

CREATE TABLE secret_integrations (
    id           text PRIMARY KEY,
    team_id      text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    auth_id      text NOT NULL REFERENCES integration_auths (id) ON DELETE CASCADE,
    env_id       text NOT NULL REFERENCES secret_environments (id) ON DELETE CASCADE,
    secret_path  text NOT NULL,
    integration  text NOT NULL,
    is_active    integer NOT NULL,
    spec         text NOT NULL,
    is_synced    integer,
    sync_message text NOT NULL DEFAULT '',
    last_used    TIMESTAMP,
    managed_keys text NOT NULL DEFAULT '[]',
    synced_once  integer NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX secret_integrations_source ON secret_integrations (env_id, secret_path);
CREATE INDEX secret_integrations_team ON secret_integrations (team_id, created_at);

-- One row per integration: the queue entry and its lease. A change while a
-- run is in progress sets again, so the run after it sees the change; two
-- instances never hold the same row (claims are guarded updates).
CREATE TABLE sync_jobs (
    integration_id text PRIMARY KEY REFERENCES secret_integrations (id) ON DELETE CASCADE,
    state          text NOT NULL CHECK (state IN ('idle', 'queued', 'running')),
    again          integer NOT NULL DEFAULT 0,
    reason         text NOT NULL DEFAULT '',
    attempts       integer NOT NULL DEFAULT 0,
    run_after      TIMESTAMP NOT NULL,
    lease_until    TIMESTAMP,
    claim_token    text NOT NULL DEFAULT '',
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX sync_jobs_due ON sync_jobs (state, run_after);
