package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Reveal holds a sealed payload that its owner may read exactly once.
type Reveal struct {
	ID            string     `db:"id"`
	UserID        string     `db:"user_id"`
	IntegrationID *string    `db:"integration_id"`
	KeyID         *string    `db:"key_id"`
	Payload       []byte     `db:"payload"`
	ExpiresAt     time.Time  `db:"expires_at"`
	CreatedAt     time.Time  `db:"created_at"`
	RevealedAt    *time.Time `db:"revealed_at"`
	// Kind is what the reveal shows ("integration", "api_token",
	// "set_password_link"); empty is stored as "integration".
	Kind string `db:"kind"`
}

const revealCols = `id, user_id, integration_id, key_id, payload, expires_at, created_at, revealed_at, kind`

func (d *DB) insertReveal(ctx context.Context, tx *sqlx.Tx, r *Reveal) error {
	r.CreatedAt = d.now()
	if r.Kind == "" {
		r.Kind = "integration"
	}
	_, err := tx.ExecContext(ctx, d.q(`INSERT INTO reveals (`+revealCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.UserID, r.IntegrationID, r.KeyID, r.Payload, ts(r.ExpiresAt), r.CreatedAt, tsp(r.RevealedAt), r.Kind)
	if err != nil {
		return fmt.Errorf("db: insert reveal: %w", mapErr(err))
	}
	return nil
}

// CreateReveal stores a reveal on its own (for secrets not tied to an
// integration row, such as a new API token) with its audit row.
func (d *DB) CreateReveal(ctx context.Context, r *Reveal, audit *AuditEvent) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.insertReveal(ctx, tx, r); err != nil {
			return err
		}
		return d.insertAudit(ctx, tx, audit)
	})
}

// ClaimReveal hands out a reveal's payload once: in one transaction it stamps
// revealed_at on the row if it belongs to userID, is unread and unexpired,
// takes the payload, clears it from the row and writes the audit row. Of any
// number of concurrent claims exactly one gets the payload; the others, and
// every later one, get ErrNotFound. If the audit row cannot be written nothing
// is handed out.
func (d *DB) ClaimReveal(ctx context.Context, id, userID string, audit *AuditEvent) (*Reveal, error) {
	var r Reveal
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		err := tx.GetContext(ctx, &r, d.q(`UPDATE reveals SET revealed_at = ?
			WHERE id = ? AND user_id = ? AND revealed_at IS NULL AND expires_at > ?
			RETURNING `+revealCols), now, id, userID, now)
		if err != nil {
			return fmt.Errorf("db: claim reveal: %w", mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE reveals SET payload = NULL WHERE id = ?`), id); err != nil {
			return fmt.Errorf("db: clear reveal: %w", err)
		}
		return d.insertAudit(ctx, tx, audit)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// RevealByID returns a reveal's row without its payload, to tell "never
// existed" from "already shown" or "expired".
func (d *DB) RevealByID(ctx context.Context, id string) (*Reveal, error) {
	var r Reveal
	err := d.x.GetContext(ctx, &r, d.q(`SELECT id, user_id, integration_id, key_id, NULL AS payload, expires_at, created_at, revealed_at, kind FROM reveals WHERE id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("db: reveal by id: %w", mapErr(err))
	}
	return &r, nil
}

// PurgeReveals clears the payload of every reveal that expired unread, so a
// sealed secret does not outlive its ten minutes at rest, and drops
// tombstones older than keep. It returns how many payloads it cleared.
func (d *DB) PurgeReveals(ctx context.Context, keep time.Duration) (int64, error) {
	now := d.now()
	res, err := d.x.ExecContext(ctx, d.q(`UPDATE reveals SET payload = NULL WHERE payload IS NOT NULL AND expires_at <= ?`), now)
	if err != nil {
		return 0, fmt.Errorf("db: purge reveals: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := d.x.ExecContext(ctx, d.q(`DELETE FROM reveals WHERE expires_at <= ?`), now.Add(-keep)); err != nil {
		return n, fmt.Errorf("db: purge reveals: %w", err)
	}
	return n, nil
}
