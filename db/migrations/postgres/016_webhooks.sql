-- Webhooks (issue 14): endpoints receive the audit events they match as
-- signed POSTs. team_id NULL is an admin's endpoint for every team (and the
-- events of none); events_mode is all, prefix (events holds the prefix) or
-- list (events holds ",a,b,"). The signing secret is sealed (it must sign).
-- A delivery is queued in the audit write's own transaction (INSERT …
-- SELECT over the matching endpoints), so an acknowledged change is never
-- lost; instances claim a due delivery by a guarded UPDATE of claimed_until.
CREATE TABLE webhook_endpoints (
    id                uuid PRIMARY KEY,
    team_id           uuid REFERENCES teams (id) ON DELETE CASCADE,
    url               text NOT NULL,
    events_mode       text NOT NULL CHECK (events_mode IN ('all', 'prefix', 'list')),
    events            text NOT NULL DEFAULT '',
    secret_key_id     text NOT NULL,
    secret_ciphertext bytea NOT NULL,
    enabled           boolean NOT NULL DEFAULT true,
    disabled_reason   text NOT NULL DEFAULT '',
    failing_since     timestamptz,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id);

CREATE TABLE webhook_deliveries (
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    claimed_until    timestamptz,
    last_status_code integer,
    last_error       text NOT NULL DEFAULT '',
    last_attempt_at  timestamptz,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);
