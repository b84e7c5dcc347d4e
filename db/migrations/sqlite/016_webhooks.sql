-- Webhooks (issue 14); see the PostgreSQL file.
CREATE TABLE webhook_endpoints (
    id                text PRIMARY KEY,
    team_id           text REFERENCES teams (id) ON DELETE CASCADE,
    url               text NOT NULL,
    events_mode       text NOT NULL CHECK (events_mode IN ('all', 'prefix', 'list')),
    events            text NOT NULL DEFAULT '',
    secret_key_id     text NOT NULL,
    secret_ciphertext blob NOT NULL,
    enabled           INTEGER NOT NULL DEFAULT 1,
    disabled_reason   text NOT NULL DEFAULT '',
    failing_since     TIMESTAMP,
    created_by        text REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id);

CREATE TABLE webhook_deliveries (
    endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         text NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    claimed_until    TIMESTAMP,
    last_status_code integer,
    last_error       text NOT NULL DEFAULT '',
    last_attempt_at  TIMESTAMP,
    delivered_at     TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
