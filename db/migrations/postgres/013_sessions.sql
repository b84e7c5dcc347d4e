-- Browser sessions as rows, so each can be listed and ended on its own: the
-- cookie carries a random session id and only its SHA-256 is kept here. A
-- cookie whose row is ended (or missing) is signed out on its next request,
-- wherever it was copied. last_seen_at is written at most once a minute.
CREATE TABLE user_sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sid_hash     text NOT NULL UNIQUE,
    generation   integer NOT NULL,
    user_agent   text NOT NULL,
    ip           text NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen_at);
