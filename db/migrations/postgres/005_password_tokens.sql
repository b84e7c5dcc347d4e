-- One-time set-password links (an invitation, or a reset an admin made). Only
-- the keyed hash of the token is kept. A link ends when it is used
-- (used_at), when a newer one is made for the user or the user is disabled
-- (revoked_at), or when it expires.
CREATE TABLE password_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    purpose    text NOT NULL CHECK (purpose IN ('invite', 'reset')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX password_tokens_user ON password_tokens (user_id);
