-- Idempotency keys (Idempotency-Key on the JSON API's creates): one row per
-- API token and key. Inserting the row is the lock (INSERT … ON CONFLICT DO
-- NOTHING), so two instances on one database never both run a request; the
-- row then keeps the first answer, sealed under the keyring like every other
-- secret (AAD "idempotency:<id>"; id changes when an expired row is reused).
-- fingerprint is SHA-256 of method, path and canonical body. state is
-- 'running' while the first request runs and 'done' once its answer is kept.
-- content_type and location are the answer's headers replayed with it;
-- object_id is the created object's id (not secret), for the answer given
-- once a secret-carrying answer is no longer replayed.
CREATE TABLE idempotency_keys (
    id             text PRIMARY KEY,
    token_id       text NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    idem_key       text NOT NULL,
    fingerprint    text NOT NULL,
    state          text NOT NULL,
    status         integer NOT NULL DEFAULT 0,
    content_type   text NOT NULL DEFAULT '',
    location       text NOT NULL DEFAULT '',
    key_id         text,
    body           blob,
    carries_secret boolean NOT NULL DEFAULT 0,
    object_id      text NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    locked_at      TIMESTAMP NOT NULL,
    done_at        TIMESTAMP,
    UNIQUE (token_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
