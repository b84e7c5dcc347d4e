package db

import (
	"context"
	"fmt"
	"time"
)

// FormDraft is a sealed set of secrets typed into a refused form, kept for
// one retry by the same user in the same browser session on the same form.
type FormDraft struct {
	ID          string    `db:"id"`
	UserID      string    `db:"user_id"`
	SessionHash string    `db:"session_hash"`
	Form        string    `db:"form"`
	KeyID       string    `db:"key_id"`
	Payload     []byte    `db:"payload"`
	ExpiresAt   time.Time `db:"expires_at"`
	CreatedAt   time.Time `db:"created_at"`
}

const formDraftCols = `id, user_id, session_hash, form, key_id, payload, expires_at, created_at`

// CreateFormDraft stores a draft, first dropping every expired one so that
// no sealed secret outlives its minutes at rest.
func (d *DB) CreateFormDraft(ctx context.Context, f *FormDraft) error {
	now := d.now()
	f.CreatedAt = now
	if _, err := d.x.ExecContext(ctx, d.q(`DELETE FROM form_drafts WHERE expires_at <= ?`), now); err != nil {
		return fmt.Errorf("db: purge form drafts: %w", err)
	}
	_, err := d.x.ExecContext(ctx, d.q(`INSERT INTO form_drafts (`+formDraftCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		f.ID, f.UserID, f.SessionHash, f.Form, f.KeyID, f.Payload, ts(f.ExpiresAt), f.CreatedAt)
	if err != nil {
		return fmt.Errorf("db: insert form draft: %w", mapErr(err))
	}
	return nil
}

// TakeFormDraft deletes and returns the draft id if it belongs to userID,
// sessionHash and form and has not expired; otherwise ErrNotFound (and a
// draft of someone else is left alone). Of concurrent takes one wins.
func (d *DB) TakeFormDraft(ctx context.Context, id, userID, sessionHash, form string) (*FormDraft, error) {
	var f FormDraft
	err := d.x.GetContext(ctx, &f, d.q(`DELETE FROM form_drafts
		WHERE id = ? AND user_id = ? AND session_hash = ? AND form = ? AND expires_at > ?
		RETURNING `+formDraftCols), id, userID, sessionHash, form, d.now())
	if err != nil {
		return nil, fmt.Errorf("db: take form draft: %w", mapErr(err))
	}
	return &f, nil
}
