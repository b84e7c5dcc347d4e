package db

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// UserTOTP is a user's TOTP enrolment: the secret sealed under the keyring.
type UserTOTP struct {
	UserID      string     `db:"user_id"`
	KeyID       string     `db:"key_id"`
	Ciphertext  []byte     `db:"ciphertext"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	LastStep    int64      `db:"last_step"`
	CreatedAt   time.Time  `db:"created_at"`
}

// SettingRequireAdminTwoFactor is the settings key of the policy that every
// admin signs in with a second factor ("true" or "false").
const SettingRequireAdminTwoFactor = "require_admin_two_factor"

// SetSetting stores a setting's value with its audit row.
func (d *DB) SetSetting(ctx context.Context, key, value string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value); err != nil {
			return fmt.Errorf("db: set setting %s: %w", key, err)
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// TOTPByUser returns a user's enrolment, confirmed or pending; ErrNotFound
// when there is none.
func (d *DB) TOTPByUser(ctx context.Context, userID string) (*UserTOTP, error) {
	var t UserTOTP
	if err := d.x.GetContext(ctx, &t, d.q(`SELECT user_id, key_id, ciphertext, confirmed_at, last_step, created_at FROM user_totp WHERE user_id = ?`), userID); err != nil {
		return nil, fmt.Errorf("db: totp: %w", mapErr(err))
	}
	return &t, nil
}

// BeginTOTP stores a new pending enrolment for a user without a confirmed
// one (a pending one is replaced); ErrConflict when one is confirmed.
func (d *DB) BeginTOTP(ctx context.Context, t *UserTOTP) error {
	t.CreatedAt = d.now()
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM user_totp WHERE user_id = ? AND confirmed_at IS NULL`), t.UserID); err != nil {
			return fmt.Errorf("db: begin totp: %w", err)
		}
		_, err := tx.ExecContext(ctx, d.q(`INSERT INTO user_totp (user_id, key_id, ciphertext, confirmed_at, last_step, created_at) VALUES (?, ?, ?, NULL, 0, ?)`),
			t.UserID, t.KeyID, t.Ciphertext, t.CreatedAt)
		if err != nil {
			return fmt.Errorf("db: begin totp: %w", mapErr(err))
		}
		return nil
	})
}

// ConfirmTOTP confirms a pending enrolment at time step step and stores
// its recovery codes' hashes (replacing any older ones) with the audit row.
// ErrNotFound when no pending enrolment exists.
func (d *DB) ConfirmTOTP(ctx context.Context, userID string, step int64, codeHashes []string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		res, err := tx.ExecContext(ctx, d.q(`UPDATE user_totp SET confirmed_at = ?, last_step = ? WHERE user_id = ? AND confirmed_at IS NULL`), now, step, userID)
		if err != nil {
			return fmt.Errorf("db: confirm totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM recovery_codes WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("db: replace recovery codes: %w", err)
		}
		for _, h := range codeHashes {
			if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO recovery_codes (id, user_id, code_hash, created_at, used_at) VALUES (?, ?, ?, ?, NULL)`),
				uuid.NewString(), userID, h, now); err != nil {
				return fmt.Errorf("db: insert recovery code: %w", mapErr(err))
			}
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// UseTOTPStep records that a code of time step step was accepted, only if
// it is newer than every step accepted before: false means a replay (or an
// older code) and nothing is written.
func (d *DB) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res, err := d.x.ExecContext(ctx, d.q(`UPDATE user_totp SET last_step = ? WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?`), step, userID, step)
	if err != nil {
		return false, fmt.Errorf("db: use totp step: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UseRecoveryCode spends the unused recovery code of the user whose hash is
// one of candidates: false when there is none (unknown or already used).
func (d *DB) UseRecoveryCode(ctx context.Context, userID string, candidates []string) (bool, error) {
	q, args, err := sqlx.In(`UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND used_at IS NULL AND code_hash IN (?)`, d.now(), userID, candidates)
	if err != nil {
		return false, fmt.Errorf("db: use recovery code: %w", err)
	}
	res, err := d.x.ExecContext(ctx, d.q(q), args...)
	if err != nil {
		return false, fmt.Errorf("db: use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n >= 1, nil
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (d *DB) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	if err := d.x.GetContext(ctx, &n, d.q(`SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`), userID); err != nil {
		return 0, fmt.Errorf("db: count recovery codes: %w", err)
	}
	return n, nil
}

// DeleteTOTP turns two-factor sign-in off for a user (enrolment and
// recovery codes) with the audit row.
func (d *DB) DeleteTOTP(ctx context.Context, userID string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM recovery_codes WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("db: delete recovery codes: %w", err)
		}
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM user_totp WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("db: delete totp: %w", err)
		}
		return d.insertAudit(ctx, tx, audit)
	})
}
