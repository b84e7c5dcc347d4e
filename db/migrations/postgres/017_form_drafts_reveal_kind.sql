-- Secrets a user typed into a form that was refused for another field, kept
-- sealed (under the keyring, AAD "form_draft:<id>") for one retry: bound to
-- the user, to a hash of the browser session's id and to the form's path,
-- taken once (DELETE … RETURNING) and gone after fifteen minutes. The page
-- carries only the draft's random id, never the secret.
CREATE TABLE form_drafts (
    id           text PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_hash text NOT NULL,
    form         text NOT NULL,
    key_id       text NOT NULL,
    payload      bytea NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX form_drafts_expires ON form_drafts (expires_at);

-- What a reveal shows (an integration's secrets, an API token, a
-- set-password link), kept after its payload is gone so that the page of a
-- second visit says the right thing.
ALTER TABLE reveals ADD COLUMN kind text NOT NULL DEFAULT 'integration';
