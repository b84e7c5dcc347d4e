package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// User is a person who signs in.
type User struct {
	ID                string     `db:"id"`
	Email             string     `db:"email"`
	PasswordHash      string     `db:"password_hash"`
	Role              string     `db:"role"`
	SessionGeneration int        `db:"session_generation"`
	DisabledAt        *time.Time `db:"disabled_at"`
	CreatedAt         time.Time  `db:"created_at"`
	UpdatedAt         time.Time  `db:"updated_at"`
}

const userCols = `id, email, password_hash, role, session_generation, disabled_at, created_at, updated_at`

// CountUsers returns how many users exist (zero means first run).
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := d.x.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return 0, fmt.Errorf("db: count users: %w", err)
	}
	return n, nil
}

// CreateUser inserts u (email lowercased by the caller), its team memberships
// and the audit row in one transaction. With onlyIfFirst the insert is refused
// with ErrConflict when any user exists, which makes the setup link single-use
// even when two browsers race on it.
func (d *DB) CreateUser(ctx context.Context, u *User, teamIDs []string, onlyIfFirst bool, audit *AuditEvent) error {
	now := d.now()
	u.CreatedAt, u.UpdatedAt = now, now
	if u.SessionGeneration == 0 {
		u.SessionGeneration = 1
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if onlyIfFirst {
			if d.dialect == Postgres {
				// Serialise concurrent first-run attempts.
				if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN EXCLUSIVE MODE`); err != nil {
					return fmt.Errorf("db: lock users: %w", err)
				}
			}
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
				return fmt.Errorf("db: count users: %w", err)
			}
			if n > 0 {
				return fmt.Errorf("%w: users already exist", ErrConflict)
			}
		}
		if err := d.insertUser(ctx, tx, u, teamIDs, now); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// insertUser inserts u (email lowercased) and its team memberships.
func (d *DB) insertUser(ctx context.Context, tx *sqlx.Tx, u *User, teamIDs []string, now time.Time) error {
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		u.ID, strings.ToLower(u.Email), u.PasswordHash, u.Role, u.SessionGeneration, tsp(u.DisabledAt), u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return fmt.Errorf("db: insert user: %w", mapErr(err))
	}
	for _, t := range teamIDs {
		if err := d.addMember(ctx, tx, t, u.ID, now); err != nil {
			return err
		}
	}
	return nil
}

// UserByID returns a user.
func (d *DB) UserByID(ctx context.Context, id string) (*User, error) {
	var u User
	if err := d.x.GetContext(ctx, &u, d.q(`SELECT `+userCols+` FROM users WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: user by id: %w", mapErr(err))
	}
	return &u, nil
}

// UserByEmail returns a user by email, case-insensitively.
func (d *DB) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := d.x.GetContext(ctx, &u, d.q(`SELECT `+userCols+` FROM users WHERE email = ?`), strings.ToLower(email)); err != nil {
		return nil, fmt.Errorf("db: user by email: %w", mapErr(err))
	}
	return &u, nil
}

// ListUsers returns every user by email.
func (d *DB) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	if err := d.x.SelectContext(ctx, &out, `SELECT `+userCols+` FROM users ORDER BY email`); err != nil {
		return nil, fmt.Errorf("db: list users: %w", err)
	}
	return out, nil
}

// UserTeamIDs returns the ids of the teams a user belongs to.
func (d *DB) UserTeamIDs(ctx context.Context, userID string) ([]string, error) {
	var out []string
	if err := d.x.SelectContext(ctx, &out, d.q(`SELECT team_id FROM team_members WHERE user_id = ? ORDER BY team_id`), userID); err != nil {
		return nil, fmt.Errorf("db: user teams: %w", err)
	}
	return out, nil
}

// ErrLastAdmin is returned when a change would leave no active admin.
var ErrLastAdmin = errors.New("db: the last active admin")

// UnusablePassword is the password hash of a user who has not set a
// password yet (an invitation): it is no argon2id string, so no password
// ever matches it.
const UnusablePassword = "!unset"

// InviteUser inserts u (with UnusablePassword), its team memberships, its
// first set-password token and the audit row in one transaction;
// ErrConflict when the email is taken.
func (d *DB) InviteUser(ctx context.Context, u *User, teamIDs []string, t *PasswordToken, audit *AuditEvent) error {
	now := d.now()
	u.CreatedAt, u.UpdatedAt, u.SessionGeneration, u.PasswordHash = now, now, 1, UnusablePassword
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.insertUser(ctx, tx, u, teamIDs, now); err != nil {
			return err
		}
		if err := d.insertPasswordToken(ctx, tx, t, now); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// lockActiveAdmins returns the ids of the active admins; on PostgreSQL it
// locks their rows so two concurrent demotions cannot both see another
// admin left (SQLite write transactions are serialised already).
func (d *DB) lockActiveAdmins(ctx context.Context, tx *sqlx.Tx) ([]string, error) {
	query := `SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id`
	if d.dialect == Postgres {
		query += ` FOR UPDATE`
	}
	var ids []string
	if err := tx.SelectContext(ctx, &ids, query); err != nil {
		return nil, fmt.Errorf("db: lock admins: %w", err)
	}
	return ids, nil
}

// keepsAnAdmin reports whether an active admin other than userID remains.
func keepsAnAdmin(admins []string, userID string) bool {
	for _, id := range admins {
		if id != userID {
			return true
		}
	}
	return false
}

// UpdateUserAccess sets a user's role and replaces its team memberships with
// teamIDs, with the audit row, in one transaction. ErrLastAdmin when it would
// demote the last active admin; ErrNotFound for an unknown user.
func (d *DB) UpdateUserAccess(ctx context.Context, userID, role string, teamIDs []string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		admins, err := d.lockActiveAdmins(ctx, tx)
		if err != nil {
			return err
		}
		if role != "admin" && !keepsAnAdmin(admins, userID) {
			return ErrLastAdmin
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE users SET role = ?, updated_at = ? WHERE id = ?`), role, now, userID)
		if err != nil {
			return fmt.Errorf("db: update user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, d.q(`DELETE FROM team_members WHERE user_id = ?`), userID); err != nil {
			return fmt.Errorf("db: clear memberships: %w", err)
		}
		for _, team := range teamIDs {
			if err := d.addMember(ctx, tx, team, userID, now); err != nil {
				return err
			}
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// DisableUser stamps disabled_at, bumps the session generation (every
// session of the user ends on its next request), revokes the user's live
// password tokens and writes the audit row, in one transaction. The user's
// API tokens stop because token authentication reads disabled_at.
// ErrLastAdmin for the last active admin; ErrNotFound for an unknown or
// already disabled user.
func (d *DB) DisableUser(ctx context.Context, userID string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		admins, err := d.lockActiveAdmins(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, d.q(`UPDATE users SET disabled_at = ?, session_generation = session_generation + 1, updated_at = ?
			WHERE id = ? AND disabled_at IS NULL`), now, now, userID)
		if err != nil {
			return fmt.Errorf("db: disable user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if slices.Contains(admins, userID) && !keepsAnAdmin(admins, userID) {
			return ErrLastAdmin
		}
		if err := d.revokePasswordTokens(ctx, tx, userID, now); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// EnableUser clears disabled_at with the audit row. Sessions from before the
// disable stay ended (the generation moved on); ErrNotFound for an unknown
// or enabled user.
func (d *DB) EnableUser(ctx context.Context, userID string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		res, err := tx.ExecContext(ctx, d.q(`UPDATE users SET disabled_at = NULL, updated_at = ? WHERE id = ? AND disabled_at IS NOT NULL`), now, userID)
		if err != nil {
			return fmt.Errorf("db: enable user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// SetPassword replaces an enabled user's password hash and bumps its session
// generation (every other session ends), with the audit row, and returns the
// user as it now is. ErrNotFound for an unknown or disabled user.
func (d *DB) SetPassword(ctx context.Context, userID, passwordHash string, audit *AuditEvent) (*User, error) {
	var u User
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &u, d.q(`UPDATE users SET password_hash = ?, session_generation = session_generation + 1, updated_at = ?
			WHERE id = ? AND disabled_at IS NULL RETURNING `+userCols), passwordHash, d.now(), userID)
		if err != nil {
			return fmt.Errorf("db: set password: %w", mapErr(err))
		}
		if err := d.revokePasswordTokens(ctx, tx, userID, d.now()); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// BumpSessionGeneration ends every session of a user (sign out everywhere)
// with the audit row.
func (d *DB) BumpSessionGeneration(ctx context.Context, userID string, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE users SET session_generation = session_generation + 1, updated_at = ? WHERE id = ?`), d.now(), userID)
		if err != nil {
			return fmt.Errorf("db: bump session generation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// Memberships returns the team ids of every user, by user id.
func (d *DB) Memberships(ctx context.Context) (map[string][]string, error) {
	var rows []struct {
		UserID string `db:"user_id"`
		TeamID string `db:"team_id"`
	}
	if err := d.x.SelectContext(ctx, &rows, `SELECT user_id, team_id FROM team_members ORDER BY user_id, team_id`); err != nil {
		return nil, fmt.Errorf("db: memberships: %w", err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], r.TeamID)
	}
	return out, nil
}
