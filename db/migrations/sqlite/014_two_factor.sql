-- TOTP two-factor sign-in. A user's TOTP secret is sealed under the keyring
-- (the user id as additional data); confirmed_at is null while enrolment
-- waits for the first code. last_step is the newest 30-second time step a
-- code was accepted for: a code of that step or an older one is refused, so
-- a used code cannot be replayed within its window. Recovery codes are kept
-- only as keyed hashes and work once each.
CREATE TABLE user_totp (
    user_id      text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key_id       text NOT NULL,
    ciphertext   BLOB NOT NULL,
    confirmed_at TIMESTAMP,
    last_step    integer NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE recovery_codes (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  text NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
