package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// PasswordToken is a one-time set-password link; only its keyed hash is stored.
type PasswordToken struct {
	ID        string     `db:"id"`
	UserID    string     `db:"user_id"`
	TokenHash string     `db:"token_hash"`
	Purpose   string     `db:"purpose"`
	ExpiresAt time.Time  `db:"expires_at"`
	CreatedAt time.Time  `db:"created_at"`
	UsedAt    *time.Time `db:"used_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// The purposes of a password token.
const (
	PasswordTokenInvite = "invite"
	PasswordTokenReset  = "reset"
)

// ErrTokenSpent is returned when a password token exists but was used,
// revoked or expired.
var ErrTokenSpent = errors.New("db: password token spent")

const passwordTokenCols = `id, user_id, token_hash, purpose, expires_at, created_at, used_at, revoked_at`

// insertPasswordToken stores t and revokes every older live token of its
// user, so only the newest link works.
func (d *DB) insertPasswordToken(ctx context.Context, tx *sqlx.Tx, t *PasswordToken, now time.Time) error {
	t.CreatedAt = now
	if err := d.revokePasswordTokens(ctx, tx, t.UserID, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO password_tokens (`+passwordTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		t.ID, t.UserID, t.TokenHash, t.Purpose, ts(t.ExpiresAt), t.CreatedAt, nil, nil)
	if err != nil {
		return fmt.Errorf("db: insert password token: %w", mapErr(err))
	}
	return nil
}

func (d *DB) revokePasswordTokens(ctx context.Context, tx *sqlx.Tx, userID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, d.q(`UPDATE password_tokens SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`), now, userID)
	if err != nil {
		return fmt.Errorf("db: revoke password tokens: %w", err)
	}
	return nil
}

// CreatePasswordToken stores a new set-password link for an existing,
// enabled user (older links of the user stop working) with its audit row.
// ErrNotFound when the user does not exist or is disabled.
func (d *DB) CreatePasswordToken(ctx context.Context, t *PasswordToken, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		var n int
		if err := tx.GetContext(ctx, &n, d.q(`SELECT COUNT(*) FROM users WHERE id = ? AND disabled_at IS NULL`), t.UserID); err != nil {
			return fmt.Errorf("db: create password token: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := d.insertPasswordToken(ctx, tx, t, now); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// PasswordTokenByHash returns the token whose hash is one of candidates,
// spent or not (to tell "unknown" from "used" or "expired").
func (d *DB) PasswordTokenByHash(ctx context.Context, candidates []string) (*PasswordToken, error) {
	query, args, err := sqlx.In(`SELECT `+passwordTokenCols+` FROM password_tokens WHERE token_hash IN (?)`, candidates)
	if err != nil {
		return nil, fmt.Errorf("db: password token by hash: %w", err)
	}
	var t PasswordToken
	if err := d.x.GetContext(ctx, &t, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: password token by hash: %w", mapErr(err))
	}
	return &t, nil
}

// UsePasswordToken spends a live token and sets its user's password in one
// transaction: the token is stamped used with one UPDATE … RETURNING (of
// concurrent uses exactly one wins), the user gets passwordHash and a new
// session generation (every session of the user ends), and auditFor's row
// is written. ErrNotFound for an unknown token, ErrTokenSpent for a used,
// revoked or expired one, or one whose user is disabled.
func (d *DB) UsePasswordToken(ctx context.Context, candidates []string, passwordHash string, auditFor func(*User) *AuditEvent) (*User, error) {
	var u User
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		query, args, err := sqlx.In(`UPDATE password_tokens SET used_at = ?
			WHERE token_hash IN (?) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
			RETURNING `+passwordTokenCols, now, candidates, now)
		if err != nil {
			return fmt.Errorf("db: use password token: %w", err)
		}
		var t PasswordToken
		if err := tx.GetContext(ctx, &t, d.q(query), args...); err != nil {
			err = mapErr(err)
			if errors.Is(err, ErrNotFound) {
				q2, args2, _ := sqlx.In(`SELECT COUNT(*) FROM password_tokens WHERE token_hash IN (?)`, candidates)
				var n int
				if err := tx.GetContext(ctx, &n, d.q(q2), args2...); err == nil && n > 0 {
					return ErrTokenSpent
				}
			}
			return fmt.Errorf("db: use password token: %w", err)
		}
		err = tx.GetContext(ctx, &u, d.q(`UPDATE users SET password_hash = ?, session_generation = session_generation + 1, updated_at = ?
			WHERE id = ? AND disabled_at IS NULL RETURNING `+userCols), passwordHash, now, t.UserID)
		if err != nil {
			if err = mapErr(err); errors.Is(err, ErrNotFound) {
				return ErrTokenSpent
			}
			return fmt.Errorf("db: set password: %w", err)
		}
		return d.insertAudit(ctx, tx, auditFor(&u))
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}
