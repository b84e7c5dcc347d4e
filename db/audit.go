package db

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// AuditEvent is one row of the audit log. Details never hold a secret: the
// domain puts only ids, names and flags there.
type AuditEvent struct {
	ID         string    `db:"id"`
	At         time.Time `db:"at"`
	ActorType  string    `db:"actor_type"`
	ActorID    string    `db:"actor_id"`
	ActorLabel string    `db:"actor_label"`
	TeamID     *string   `db:"team_id"`
	Action     string    `db:"action"`
	TargetType string    `db:"target_type"`
	TargetID   string    `db:"target_id"`
	IP         string    `db:"ip"`
	UserAgent  string    `db:"user_agent"`
	Details    string    `db:"details"`
}

// SetDetails encodes v as the event's details.
func (e *AuditEvent) SetDetails(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("{}")
	}
	e.Details = string(b)
}

func (d *DB) insertAudit(ctx context.Context, tx *sqlx.Tx, e *AuditEvent) error {
	if e == nil {
		return nil
	}
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.At.IsZero() {
		e.At = d.now()
	}
	if e.Details == "" {
		e.Details = "{}"
	}
	if len(e.UserAgent) > 512 {
		e.UserAgent = e.UserAgent[:512]
	}
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO audit_events
		(id, at, actor_type, actor_id, actor_label, team_id, action, target_type, target_id, ip, user_agent, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, ts(e.At), e.ActorType, e.ActorID, e.ActorLabel, e.TeamID, e.Action, e.TargetType, e.TargetID, e.IP, e.UserAgent, e.Details)
	if err != nil {
		return fmt.Errorf("db: insert audit event: %w", err)
	}
	return nil
}

// RecordAudit writes an audit row on its own (for events with no other write,
// such as a failed sign-in).
func (d *DB) RecordAudit(ctx context.Context, e *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error { return d.insertAudit(ctx, tx, e) })
}

// CountAudit counts events of action on target since a time (sign-in throttling
// reads the audit log, so the limit holds across instances and restarts).
func (d *DB) CountAudit(ctx context.Context, action, targetID string, since time.Time) (int, error) {
	var n int
	err := d.x.GetContext(ctx, &n, d.q(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND target_id = ? AND at > ?`), action, targetID, ts(since))
	if err != nil {
		return 0, fmt.Errorf("db: count audit: %w", err)
	}
	return n, nil
}

// CountAuditByIP counts events of action from an IP since a time.
func (d *DB) CountAuditByIP(ctx context.Context, action, ip string, since time.Time) (int, error) {
	var n int
	err := d.x.GetContext(ctx, &n, d.q(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND ip = ? AND at > ?`), action, ip, ts(since))
	if err != nil {
		return 0, fmt.Errorf("db: count audit: %w", err)
	}
	return n, nil
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	TeamID string
	Action string
	// Before is the keyset cursor: events strictly older than (At, ID).
	BeforeAt *time.Time
	BeforeID string
	Limit    int
}

// ListAudit returns events newest first.
func (d *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	query := `SELECT id, at, actor_type, actor_id, actor_label, team_id, action, target_type, target_id, ip, user_agent, details FROM audit_events WHERE 1=1`
	var args []any
	if f.TeamID != "" {
		query += ` AND team_id = ?`
		args = append(args, f.TeamID)
	}
	if f.Action != "" {
		query += ` AND action = ?`
		args = append(args, f.Action)
	}
	if f.BeforeAt != nil {
		query += ` AND (at < ? OR (at = ? AND id < ?))`
		args = append(args, ts(*f.BeforeAt), ts(*f.BeforeAt), f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	query += ` ORDER BY at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []AuditEvent
	if err := d.x.SelectContext(ctx, &out, d.q(query), args...); err != nil {
		return nil, fmt.Errorf("db: list audit: %w", err)
	}
	return out, nil
}
