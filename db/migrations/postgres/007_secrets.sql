-- Team secrets, the source of secret syncs: environments per team (dev,
-- staging and prod for every team, new ones get them on create), folders by
-- path, and secrets whose values are sealed (AES-GCM under the keyring, the
-- row id as additional data) and never read back out through any answer.
CREATE TABLE secret_environments (
    id         uuid PRIMARY KEY,
    team_id    uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    slug       text NOT NULL,
    name       text NOT NULL,
    position   integer NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (team_id, slug)
);

CREATE TABLE secret_folders (
    id         uuid PRIMARY KEY,
    env_id     uuid NOT NULL REFERENCES secret_environments (id) ON DELETE CASCADE,
    path       text NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (env_id, path)
);

CREATE TABLE team_secrets (
    id              uuid PRIMARY KEY,
    team_id         uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    env_id          uuid NOT NULL REFERENCES secret_environments (id) ON DELETE CASCADE,
    path            text NOT NULL,
    key             text NOT NULL,
    comment         text NOT NULL DEFAULT '',
    value_key_id    text NOT NULL,
    value_ciphertext bytea NOT NULL,
    version         integer NOT NULL,
    updated_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (env_id, path, key)
);

INSERT INTO secret_environments (id, team_id, slug, name, position, created_at)
SELECT gen_random_uuid(), t.id, e.slug, e.name, e.position, now()
FROM teams t CROSS JOIN (VALUES ('dev', 'Development', 1), ('staging', 'Staging', 2), ('prod', 'Production', 3)) AS e (slug, name, position);

INSERT INTO secret_folders (id, env_id, path, created_at)
SELECT gen_random_uuid(), e.id, '/', now() FROM secret_environments e;
