-- Secret syncs: integration auths (a credential for one target service,
-- sealed, or a reference to an Infisical app connection so a rotation of the
-- connection reaches every sync), integrations (one environment and folder
-- synced into one target) and their sync jobs.
CREATE TABLE integration_auths (
    id                uuid PRIMARY KEY,
    team_id           uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    integration       text NOT NULL,
    url               text NOT NULL DEFAULT '',
    namespace         text NOT NULL DEFAULT '',
    aws_role_arn      text NOT NULL DEFAULT '',
    connection_id     uuid REFERENCES integrations (id) ON DELETE CASCADE,
    secret_key_id     text,
    secret_ciphertext bytea,
    created_by        text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX integration_auths_team ON integration_auths (team_id, created_at);

CREATE TABLE secret_integrations (
    id           uuid PRIMARY KEY,
    team_id      uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    auth_id      uuid NOT NULL REFERENCES integration_auths (id) ON DELETE CASCADE,
    env_id       uuid NOT NULL REFERENCES secret_environments (id) ON DELETE CASCADE,
    secret_path  text NOT NULL,
    integration  text NOT NULL,
    is_active    boolean NOT NULL,
    spec         text NOT NULL,
    is_synced    boolean,
    sync_message text NOT NULL DEFAULT '',
    last_used    timestamptz,
    managed_keys text NOT NULL DEFAULT '[]',
    synced_once  boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX secret_integrations_source ON secret_integrations (env_id, secret_path);
CREATE INDEX secret_integrations_team ON secret_integrations (team_id, created_at);

-- One row per integration: the queue entry and its lease. A change while a
-- run is in progress sets again, so the run after it sees the change; two
-- instances never hold the same row (claims are guarded updates).
CREATE TABLE sync_jobs (
    integration_id uuid PRIMARY KEY REFERENCES secret_integrations (id) ON DELETE CASCADE,
    state          text NOT NULL CHECK (state IN ('idle', 'queued', 'running')),
    again          boolean NOT NULL DEFAULT false,
    reason         text NOT NULL DEFAULT '',
    attempts       integer NOT NULL DEFAULT 0,
    run_after      timestamptz NOT NULL,
    lease_until    timestamptz,
    claim_token    text NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL
);
CREATE INDEX sync_jobs_due ON sync_jobs (state, run_after);
