package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// APIToken is a team's token for the JSON API; only its keyed hash is stored.
type APIToken struct {
	ID            string     `db:"id"`
	TeamID        string     `db:"team_id"`
	Name          string     `db:"name"`
	TokenHash     string     `db:"token_hash"`
	DisplayPrefix string     `db:"display_prefix"`
	ReadOnly      bool       `db:"read_only"`
	CreatedBy     *string    `db:"created_by"`
	ExpiresAt     *time.Time `db:"expires_at"`
	LastUsedAt    *time.Time `db:"last_used_at"`
	RevokedAt     *time.Time `db:"revoked_at"`
	CreatedAt     time.Time  `db:"created_at"`
	// CreatorDisabled is set (by APITokenByHash, ListAPITokens and
	// APITokenByID) when the user who created the token is disabled: the
	// token stops with its creator.
	CreatorDisabled bool `db:"creator_disabled"`
	// CreatorOffTeam is set like CreatorDisabled when the creator is a
	// support user who is no longer a member of the token's team (admins
	// have every team): the token stops when its creator may no longer use
	// the team, and works again if they rejoin.
	CreatorOffTeam bool `db:"creator_off_team"`
	// CreatorEmail is set by ListAPITokens and APITokenByID: the email of
	// the user who created the token (nil for the CLI or a deleted user).
	CreatorEmail *string `db:"creator_email"`
	// TeamSlug and TeamName are set by APITokenByHash: the token's team.
	TeamSlug string `db:"team_slug"`
	TeamName string `db:"team_name"`
	// RolledTo is set by ListAPITokens and APITokenByID on a token rolled
	// with a grace period: its successor's id.
	RolledTo *string `db:"rolled_to"`
}

// tokenCreatorCols say whether the creator (users u of api_tokens t) still
// lets the token work, computed in the token's own query so checking costs
// no extra round trip.
const tokenCreatorCols = `(u.disabled_at IS NOT NULL) AS creator_disabled,
	CASE WHEN u.role = 'support' AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.team_id AND m.user_id = t.created_by)
		THEN TRUE ELSE FALSE END AS creator_off_team`

const tokenCols = `id, team_id, name, token_hash, display_prefix, read_only, created_by, expires_at, last_used_at, revoked_at, created_at`

// CreateAPIToken inserts a token row and its audit row.
func (d *DB) CreateAPIToken(ctx context.Context, t *APIToken, audit *AuditEvent) error {
	t.CreatedAt = d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO api_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			t.ID, t.TeamID, t.Name, t.TokenHash, t.DisplayPrefix, t.ReadOnly, t.CreatedBy, tsp(t.ExpiresAt), tsp(t.LastUsedAt), tsp(t.RevokedAt), t.CreatedAt)
		if err != nil {
			return fmt.Errorf("db: insert api token: %w", mapErr(err))
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// APITokenByHash finds the token whose hash is one of candidates (one per
// key of the keyring, so tokens survive a master key rotation), with its
// team's slug and name and whether its creator is disabled: the one query
// that says who an API request is (the rate limit is counted apart, see
// ReserveRateLimit).
func (d *DB) APITokenByHash(ctx context.Context, candidates []string) (*APIToken, error) {
	query, args, err := sqlx.In(tokenLookup, candidates)
	if err != nil {
		return nil, fmt.Errorf("db: token by hash: %w", err)
	}
	var t APIToken
	if err := d.getPrepared(ctx, &t, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: token by hash: %w", mapErr(err))
	}
	return &t, nil
}

// tokenLookup is the query APITokenByHash runs: the token, its team's
// names (so a create needs no team read), and whether its creator is
// disabled or off the token's team. A condition on who may use the token
// (a JOIN or a WHERE term) belongs here.
const tokenLookup = `SELECT t.id, t.team_id, t.name, t.token_hash, t.display_prefix, t.read_only, t.created_by,
		t.expires_at, t.last_used_at, t.revoked_at, t.created_at, ` + tokenCreatorCols + `,
		tm.slug AS team_slug, tm.name AS team_name
		FROM api_tokens t JOIN teams tm ON tm.id = t.team_id LEFT JOIN users u ON u.id = t.created_by
		WHERE t.token_hash IN (?)`

// TouchAPIToken records a use at now unless one was recorded less than a
// minute before: the guard in the WHERE clause makes concurrent requests and
// several instances write at most once a minute per token. It reports
// whether it wrote. Callers skip it when the row they read is recent enough,
// so requests within the minute do no write at all.
func (d *DB) TouchAPIToken(ctx context.Context, id string, now time.Time) (bool, error) {
	now = ts(now)
	res, err := d.x.ExecContext(ctx, d.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`),
		now, id, now.Add(-time.Minute))
	if err != nil {
		return false, fmt.Errorf("db: touch api token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: touch api token: %w", err)
	}
	return n > 0, nil
}

// tokenListCols are tokenCols of api_tokens t with the creator's email from users u.
const tokenListCols = `t.id, t.team_id, t.name, t.token_hash, t.display_prefix, t.read_only, t.created_by,
	t.expires_at, t.last_used_at, t.revoked_at, t.created_at, u.email AS creator_email, t.rolled_to, ` + tokenCreatorCols

// ListAPITokens returns a team's tokens with their creator's email, newest first.
func (d *DB) ListAPITokens(ctx context.Context, teamID string) ([]APIToken, error) {
	var out []APIToken
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT `+tokenListCols+` FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
		WHERE t.team_id = ? ORDER BY t.created_at DESC, t.id DESC`), teamID); err != nil {
		return nil, fmt.Errorf("db: list api tokens: %w", err)
	}
	return out, nil
}

// ExpiringAPITokens returns the tokens of teamIDs (nil: every team) that
// work (neither revoked nor stopped by their creator: see
// CreatorDisabled), are not rolled, and expire after now but no later than
// until, soonest first, at most limit, each with its team's name (in
// TeamName) and its creator's email.
func (d *DB) ExpiringAPITokens(ctx context.Context, teamIDs []string, now, until time.Time, limit int) ([]APIToken, error) {
	if teamIDs != nil && len(teamIDs) == 0 {
		return nil, nil
	}
	// The creator's rule is tokenCreatorCols', the one every token
	// lookup applies, read back from the inner select.
	query := `SELECT ` + tokenListCols + `, tm.name AS team_name FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
		JOIN teams tm ON tm.id = t.team_id
		WHERE t.revoked_at IS NULL AND t.rolled_to IS NULL AND t.expires_at > ? AND t.expires_at <= ?`
	args := []any{ts(now), ts(until)}
	if teamIDs != nil {
		query += ` AND t.team_id IN (?)`
		args = append(args, teamIDs)
	}
	query, args, err := sqlx.In(`SELECT * FROM (`+query+`) x WHERE NOT x.creator_disabled AND NOT x.creator_off_team
		ORDER BY x.expires_at, x.id`+limitClause(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("db: expiring api tokens: %w", err)
	}
	var out []APIToken
	// Prepared: it runs on every full page of the home list, and parsing
	// and planning it cost more than running it.
	if err := d.selectPrepared(ctx, &out, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: expiring api tokens: %w", err)
	}
	return out, nil
}

// ListAPITokensLimit is ListAPITokens reading at most limit tokens
// (newest first) and, when there are more, how many there are in all
// (total is len(tokens) otherwise).
func (d *DB) ListAPITokensLimit(ctx context.Context, teamID string, limit int) (tokens []APIToken, total int, err error) {
	if err := d.x.SelectContext(ctx, &tokens, d.q(`SELECT `+tokenListCols+` FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
		WHERE t.team_id = ? ORDER BY t.created_at DESC, t.id DESC LIMIT ?`), teamID, limit+1); err != nil {
		return nil, 0, fmt.Errorf("db: list api tokens: %w", err)
	}
	if len(tokens) <= limit {
		return tokens, len(tokens), nil
	}
	if err := d.x.GetContext(ctx, &total, d.q(`SELECT COUNT(*) FROM api_tokens WHERE team_id = ?`), teamID); err != nil {
		return nil, 0, fmt.Errorf("db: count api tokens: %w", err)
	}
	return tokens[:limit], total, nil
}

// APITokenByID returns a token with its creator's email.
func (d *DB) APITokenByID(ctx context.Context, id string) (*APIToken, error) {
	var t APIToken
	if err := d.x.GetContext(ctx, &t, d.q(`SELECT `+tokenListCols+` FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by WHERE t.id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: api token by id: %w", mapErr(err))
	}
	return &t, nil
}

// RevokeAPIToken stamps revoked_at on a live token and writes its audit row
// in the same transaction. It reports whether it revoked: a token already
// revoked is left as it is, without a second audit row. ErrNotFound when no
// token has this id.
func (d *DB) RevokeAPIToken(ctx context.Context, id string, audit *AuditEvent) (bool, error) {
	revoked := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		revoked, err = d.revokeAPIToken(ctx, tx, id, d.now())
		if err != nil || !revoked {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return false, err
	}
	return revoked, nil
}

func (d *DB) revokeAPIToken(ctx context.Context, tx *sqlx.Tx, id string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, d.q(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), now, id)
	if err != nil {
		return false, fmt.Errorf("db: revoke api token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: revoke api token: %w", err)
	}
	if n > 0 {
		return true, nil
	}
	var exists int
	if err := tx.GetContext(ctx, &exists, d.q(`SELECT COUNT(*) FROM api_tokens WHERE id = ?`), id); err != nil {
		return false, fmt.Errorf("db: revoke api token: %w", err)
	}
	if exists == 0 {
		return false, fmt.Errorf("db: revoke api token: %w", ErrNotFound)
	}
	return false, nil
}
