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
	// CreatorDisabled is set (by APITokenByHash only) when the user who
	// created the token is disabled: the token stops with its creator.
	CreatorDisabled bool `db:"creator_disabled"`
	// CreatorEmail is set by ListAPITokens and APITokenByID: the email of
	// the user who created the token (nil for the CLI or a deleted user).
	CreatorEmail *string `db:"creator_email"`
	// RolledTo is set by ListAPITokens and APITokenByID on a token rolled
	// with a grace period: its successor's id.
	RolledTo *string `db:"rolled_to"`
}

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
// key of the keyring, so tokens survive a master key rotation).
func (d *DB) APITokenByHash(ctx context.Context, candidates []string) (*APIToken, error) {
	// One query on every API request: the token and whether its creator is disabled.
	query, args, err := sqlx.In(`SELECT t.id, t.team_id, t.name, t.token_hash, t.display_prefix, t.read_only, t.created_by,
		t.expires_at, t.last_used_at, t.revoked_at, t.created_at, (u.disabled_at IS NOT NULL) AS creator_disabled
		FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by WHERE t.token_hash IN (?)`, candidates)
	if err != nil {
		return nil, fmt.Errorf("db: token by hash: %w", err)
	}
	var t APIToken
	if err := d.x.GetContext(ctx, &t, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: token by hash: %w", mapErr(err))
	}
	return &t, nil
}

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
	t.expires_at, t.last_used_at, t.revoked_at, t.created_at, u.email AS creator_email, t.rolled_to`

// ListAPITokens returns a team's tokens with their creator's email, newest first.
func (d *DB) ListAPITokens(ctx context.Context, teamID string) ([]APIToken, error) {
	var out []APIToken
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT `+tokenListCols+` FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by
		WHERE t.team_id = ? ORDER BY t.created_at DESC, t.id DESC`), teamID); err != nil {
		return nil, fmt.Errorf("db: list api tokens: %w", err)
	}
	return out, nil
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
