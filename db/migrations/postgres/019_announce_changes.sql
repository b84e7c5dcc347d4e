-- Every instance keeps who a request is (its session's row, the team list,
-- the expiring-tokens notice) for at most two seconds while nothing it
-- depends on has changed (db/changes.go, access/recent.go). These triggers
-- announce a committed change to those tables on the channel
-- switchboard_changes, whoever made it (another instance, the CLI, an
-- operator's SQL), so every listening instance drops what it kept. Touches
-- of last-seen and last-used times are not announced.
CREATE FUNCTION switchboard_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('switchboard_changes', '');
	RETURN NULL;
END $$;

CREATE TRIGGER users_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
	FOR EACH STATEMENT EXECUTE FUNCTION switchboard_announce_change();
CREATE TRIGGER teams_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON teams
	FOR EACH STATEMENT EXECUTE FUNCTION switchboard_announce_change();
CREATE TRIGGER team_members_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON team_members
	FOR EACH STATEMENT EXECUTE FUNCTION switchboard_announce_change();
CREATE TRIGGER user_sessions_announce AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF user_id, sid_hash, generation, ended_at ON user_sessions
	FOR EACH STATEMENT EXECUTE FUNCTION switchboard_announce_change();
CREATE TRIGGER api_tokens_announce AFTER INSERT OR DELETE OR TRUNCATE
	OR UPDATE OF team_id, name, read_only, created_by, expires_at, revoked_at, rolled_to ON api_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION switchboard_announce_change();
