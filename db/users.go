package db

import (
	"context"
	"fmt"
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
		return d.insertAudit(ctx, tx, audit)
	})
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
