-- Team secrets, the source of secret syncs: environments per team (dev,
-- staging and prod for every team, new ones get them on create), folders by
-- path, and secrets whose values are sealed (AES-GCM under the keyring, the
-- row id as additional data) and never read back out through any answer.
CREATE TABLE secret_environments (
    id         text PRIMARY KEY,
    team_id    text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    slug       text NOT NULL,
    name       text NOT NULL,
    position   integer NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (team_id, slug)
);

CREATE TABLE secret_folders (
    id         text PRIMARY KEY,
    env_id     text NOT NULL REFERENCES secret_environments (id) ON DELETE CASCADE,
    path       text NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (env_id, path)
);

CREATE TABLE team_secrets (
    id              text PRIMARY KEY,
    team_id         text NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    env_id          text NOT NULL REFERENCES secret_environments (id) ON DELETE CASCADE,
    path            text NOT NULL,
    key             text NOT NULL,
    comment         text NOT NULL DEFAULT '',
    value_key_id    text NOT NULL,
    value_ciphertext blob NOT NULL,
    version         integer NOT NULL,
    updated_by      text NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (env_id, path, key)
);

-- A random version-4 UUID, spelled as PostgreSQL spells one.
INSERT INTO secret_environments (id, team_id, slug, name, position, created_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
       substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       t.id, e.slug, e.name, e.position, strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')
FROM teams t CROSS JOIN (SELECT 'dev' AS slug, 'Development' AS name, 1 AS position
                         UNION ALL SELECT 'staging', 'Staging', 2 UNION ALL SELECT 'prod', 'Production', 3) AS e;

INSERT INTO secret_folders (id, env_id, path, created_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
       substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       e.id, '/', strftime('%Y-%m-%d %H:%M:%f+00:00', 'now') FROM secret_environments e;
