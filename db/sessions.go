package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// UserSession is one browser session of a user. The cookie carries a
// random session id; only its SHA-256 (SIDHash) is stored.
type UserSession struct {
	ID         string     `db:"id"`
	UserID     string     `db:"user_id"`
	SIDHash    string     `db:"sid_hash"`
	Generation int        `db:"generation"`
	UserAgent  string     `db:"user_agent"`
	IP         string     `db:"ip"`
	StartedAt  time.Time  `db:"started_at"`
	LastSeenAt time.Time  `db:"last_seen_at"`
	EndedAt    *time.Time `db:"ended_at"`
}

const sessionCols = `id, user_id, sid_hash, generation, user_agent, ip, started_at, last_seen_at, ended_at`

// CreateSession stores a new session row (started and last seen now).
func (d *DB) CreateSession(ctx context.Context, s *UserSession) error {
	now := d.now()
	s.StartedAt, s.LastSeenAt = now, now
	_, err := d.x.ExecContext(ctx, d.q(`INSERT INTO user_sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		s.ID, s.UserID, s.SIDHash, s.Generation, s.UserAgent, s.IP, s.StartedAt, s.LastSeenAt, nil)
	if err != nil {
		return fmt.Errorf("db: insert session: %w", mapErr(err))
	}
	return nil
}

// SessionUser is a live session row with its user and the user's teams,
// as SessionUserBySID reads them in one query.
type SessionUser struct {
	SessionID         string
	UserID            string
	Generation        int
	LastSeenAt        time.Time
	Email             string
	Role              string
	SessionGeneration int
	DisabledAt        *time.Time
	// TeamIDs are the user's teams, sorted (nil for none).
	TeamIDs []string
}

// SessionUserBySID is the session, UserByID and UserTeamIDs in one round
// trip (a signed-in page asks for all three on every request): the live
// session whose id hashes to sidHash, its user and the user's teams.
// ErrNotFound when there is no live session.
func (d *DB) SessionUserBySID(ctx context.Context, sidHash string) (*SessionUser, error) {
	var rows []struct {
		SessionID         string     `db:"sid"`
		UserID            string     `db:"user_id"`
		Generation        int        `db:"generation"`
		LastSeenAt        time.Time  `db:"last_seen_at"`
		Email             string     `db:"email"`
		Role              string     `db:"role"`
		SessionGeneration int        `db:"session_generation"`
		DisabledAt        *time.Time `db:"disabled_at"`
		TeamID            *string    `db:"team_id"`
	}
	err := d.selectPrepared(ctx, &rows, d.q(`SELECT s.id AS sid, s.user_id, s.generation, s.last_seen_at, u.email, u.role, u.session_generation, u.disabled_at, m.team_id
		FROM user_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN team_members m ON m.user_id = s.user_id
		WHERE s.sid_hash = ? AND s.ended_at IS NULL ORDER BY m.team_id`), sidHash)
	if err != nil {
		return nil, fmt.Errorf("db: session user: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("db: session user: %w", ErrNotFound)
	}
	r := rows[0]
	out := &SessionUser{SessionID: r.SessionID, UserID: r.UserID, Generation: r.Generation, LastSeenAt: r.LastSeenAt, Email: r.Email,
		Role: r.Role, SessionGeneration: r.SessionGeneration, DisabledAt: r.DisabledAt}
	for _, r := range rows {
		if r.TeamID != nil {
			out.TeamIDs = append(out.TeamIDs, *r.TeamID)
		}
	}
	return out, nil
}

// TouchSession records a request of a live session: last seen now, from ip.
func (d *DB) TouchSession(ctx context.Context, id, ip string) error {
	if _, err := d.x.ExecContext(ctx, d.q(`UPDATE user_sessions SET last_seen_at = ?, ip = ? WHERE id = ? AND ended_at IS NULL`), d.now(), ip, id); err != nil {
		return fmt.Errorf("db: touch session: %w", err)
	}
	return nil
}

// ReissueSession moves a live session to a new session id and generation
// (a password change re-issues the current session), keeping its start.
// ErrNotFound when the old id is not a live session.
func (d *DB) ReissueSession(ctx context.Context, oldHash, newHash string, generation int) error {
	defer d.changed()
	res, err := d.x.ExecContext(ctx, d.q(`UPDATE user_sessions SET sid_hash = ?, generation = ?, last_seen_at = ? WHERE sid_hash = ? AND ended_at IS NULL`),
		newHash, generation, d.now(), oldHash)
	if err != nil {
		return fmt.Errorf("db: reissue session: %w", mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// EndSessionBySID ends the session whose id hashes to sidHash (sign-out,
// timeout); ending one already ended is not an error.
func (d *DB) EndSessionBySID(ctx context.Context, sidHash string) error {
	defer d.changed()
	if _, err := d.x.ExecContext(ctx, d.q(`UPDATE user_sessions SET ended_at = ? WHERE sid_hash = ? AND ended_at IS NULL`), d.now(), sidHash); err != nil {
		return fmt.Errorf("db: end session: %w", err)
	}
	return nil
}

// SessionByID returns a session row by its id, ended or not.
func (d *DB) SessionByID(ctx context.Context, id string) (*UserSession, error) {
	var s UserSession
	if err := d.x.GetContext(ctx, &s, d.q(`SELECT `+sessionCols+` FROM user_sessions WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("db: session: %w", mapErr(err))
	}
	return &s, nil
}

// ActiveSessions lists a user's live sessions, most recently seen first:
// not ended, of the user's current session generation, started after
// startedAfter and seen after seenAfter (the absolute and idle limits).
func (d *DB) ActiveSessions(ctx context.Context, userID string, startedAfter, seenAfter time.Time) ([]UserSession, error) {
	var out []UserSession
	err := d.x.SelectContext(ctx, &out, d.q(`SELECT s.id, s.user_id, s.sid_hash, s.generation, s.user_agent, s.ip, s.started_at, s.last_seen_at, s.ended_at
		FROM user_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.user_id = ? AND s.ended_at IS NULL AND s.generation = u.session_generation AND s.started_at > ? AND s.last_seen_at > ?
		ORDER BY s.last_seen_at DESC, s.id DESC`), userID, ts(startedAfter), ts(seenAfter))
	if err != nil {
		return nil, fmt.Errorf("db: list sessions: %w", err)
	}
	return out, nil
}

// EndSessions ends sessions of a user with the audit row, in one
// transaction: the one with id, or every live one when id is empty. It
// returns how many it ended; ErrNotFound when id names no live session of
// the user.
func (d *DB) EndSessions(ctx context.Context, userID, id string, audit *AuditEvent) (int, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		q, args := `UPDATE user_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL`, []any{d.now(), userID}
		if id != "" {
			q, args = q+` AND id = ?`, append(args, id)
		}
		res, err := tx.ExecContext(ctx, d.q(q), args...)
		if err != nil {
			return fmt.Errorf("db: end sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		if id != "" && n == 0 {
			return ErrNotFound
		}
		return d.insertAudit(ctx, tx, audit)
	})
	return int(n), err
}
