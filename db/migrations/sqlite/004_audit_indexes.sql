-- The audit page's filters: each walks its index newest first, so a page is
-- LIMIT rows read whatever the table's size. The time range and the keyset
-- cursor are bounds on the trailing (at, id) of each.
CREATE INDEX audit_events_team_at ON audit_events (team_id, at DESC, id DESC);
CREATE INDEX audit_events_actor_at ON audit_events (actor_id, at DESC, id DESC);
CREATE INDEX audit_events_action_at ON audit_events (action, at DESC, id DESC);
CREATE INDEX audit_events_team_action_at ON audit_events (team_id, action, at DESC, id DESC);
