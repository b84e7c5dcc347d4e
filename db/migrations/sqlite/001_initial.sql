-- Switchboard's first schema: people, teams, nodes, tokens, integrations of
-- every provider, one-time reveals and the audit log.
CREATE TABLE users (
    id                 text PRIMARY KEY,
    email              text NOT NULL UNIQUE,
    password_hash      text NOT NULL,
    role               text NOT NULL CHECK (role IN ('admin', 'support')),
    session_generation integer NOT NULL DEFAULT 1,
    disabled_at        TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE teams (
    id         text PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE team_members (
    team_id    text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE nodes (
    id         text PRIMARY KEY,
    team_id    text NOT NULL REFERENCES teams (id),
    name       text NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (team_id, name)
);

CREATE TABLE api_tokens (
    id             text PRIMARY KEY,
    team_id        text NOT NULL REFERENCES teams (id),
    name           text NOT NULL,
    token_hash     text NOT NULL UNIQUE,
    display_prefix text NOT NULL,
    read_only      INTEGER NOT NULL DEFAULT 0,
    created_by     text REFERENCES users (id),
    expires_at     TIMESTAMP,
    last_used_at   TIMESTAMP,
    revoked_at     TIMESTAMP,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX api_tokens_team ON api_tokens (team_id, created_at DESC);

-- One table for every provider: non-secret fields in attrs, a supplied secret
-- sealed (AES-GCM, key id beside it, row id as additional data), a generated
-- secret only as its keyed hash. unique_key carries a provider's uniqueness
-- rule (one active key per node, one name per app) among active rows.
CREATE TABLE integrations (
    id                text PRIMARY KEY,
    team_id           text NOT NULL REFERENCES teams (id),
    provider          text NOT NULL,
    name              text NOT NULL,
    node_id           text REFERENCES nodes (id),
    status            text NOT NULL CHECK (status IN ('active', 'disabled', 'revoked', 'expired')),
    unique_key        text,
    attrs             TEXT NOT NULL DEFAULT '{}',
    secret_key_id     text,
    secret_ciphertext BLOB,
    secret_hash       text,
    version           integer NOT NULL DEFAULT 1,
    expires_at        TIMESTAMP,
    created_by_user   text REFERENCES users (id),
    created_by_token  text REFERENCES api_tokens (id),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    revoked_at        TIMESTAMP
);
CREATE UNIQUE INDEX integrations_unique_active ON integrations (provider, unique_key)
    WHERE unique_key IS NOT NULL AND status IN ('active', 'disabled');
CREATE INDEX integrations_created ON integrations (created_at DESC, id DESC);
CREATE INDEX integrations_team_created ON integrations (team_id, created_at DESC, id DESC);
CREATE INDEX integrations_node ON integrations (node_id) WHERE node_id IS NOT NULL;

-- A reveal is shown once: the first read by its owner clears the payload and
-- stamps revealed_at in one UPDATE … RETURNING; the row stays as a tombstone
-- so a second read can say "already shown" (410) rather than "unknown" (404).
CREATE TABLE reveals (
    id             text PRIMARY KEY,
    user_id        text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    integration_id text REFERENCES integrations (id) ON DELETE CASCADE,
    key_id         text,
    payload        BLOB,
    expires_at     TIMESTAMP NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    revealed_at    TIMESTAMP
);

CREATE TABLE audit_events (
    id          text PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_type  text NOT NULL,
    actor_id    text NOT NULL DEFAULT '',
    actor_label text NOT NULL DEFAULT '',
    team_id     text,
    action      text NOT NULL,
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_action_target ON audit_events (action, target_id, at);
