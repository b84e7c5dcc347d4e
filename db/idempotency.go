package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// The states of an idempotency key's row.
const (
	// IdempotencyRunning is a row whose first request is still running: the
	// row is the lock that makes every other request with the key wait.
	IdempotencyRunning = "running"
	// IdempotencyCommitted is a running row whose request's change is
	// saved: the change's own transaction marks it (see WithIdempotencyClaim),
	// so a request whose answer is then lost (its process or the database
	// failed before the answer was kept) is never run a second time.
	IdempotencyCommitted = "committed"
	// IdempotencyDone is a row that keeps the first request's answer, or,
	// with status 0 and no body, says that answer was lost after its change
	// was saved.
	IdempotencyDone = "done"
)

type idempotencyClaimKey struct{}

// WithIdempotencyClaim returns ctx carrying the idempotency row a request
// holds: the first audited change made with it marks the row committed in
// the change's own transaction or statement (auditWrites).
func WithIdempotencyClaim(ctx context.Context, rowID string) context.Context {
	return context.WithValue(ctx, idempotencyClaimKey{}, rowID)
}

// idempotencyCommit is the audit write that marks the request's idempotency
// row committed, naming what the change made; nil without a claim.
func (d *DB) idempotencyCommit(ctx context.Context, e *AuditEvent) *stmt {
	id, _ := ctx.Value(idempotencyClaimKey{}).(string)
	if id == "" {
		return nil
	}
	return &stmt{
		name: "mark idempotency key committed",
		sql:  `UPDATE idempotency_keys SET state = ?, object_id = ? WHERE id = ? AND state = ?`,
		args: []any{IdempotencyCommitted, e.TargetID, id, IdempotencyRunning},
	}
}

// IdempotencyKey is one Idempotency-Key of one API token: the lock while
// its first request runs, then that request's answer, sealed.
type IdempotencyKey struct {
	ID          string `db:"id"`
	TokenID     string `db:"token_id"`
	Key         string `db:"idem_key"`
	Fingerprint string `db:"fingerprint"`
	State       string `db:"state"`
	Status      int    `db:"status"`
	ContentType string `db:"content_type"`
	Location    string `db:"location"`
	// KeyID and Body are the sealed answer (AAD "idempotency:<ID>"); nil
	// while running and once a secret-carrying answer is forgotten.
	KeyID         *string    `db:"key_id"`
	Body          []byte     `db:"body"`
	CarriesSecret bool       `db:"carries_secret"`
	ObjectID      string     `db:"object_id"`
	CreatedAt     time.Time  `db:"created_at"`
	LockedAt      time.Time  `db:"locked_at"`
	DoneAt        *time.Time `db:"done_at"`
}

const idempotencyCols = `id, token_id, idem_key, fingerprint, state, status, content_type, location, key_id, body, carries_secret, object_id, created_at, locked_at, done_at`

// ClaimIdempotencyKey takes the lock of (tokenID, key) for a request with
// fingerprint: it inserts a running row, or takes over a row created before
// expiredBefore (any state) or a running row locked before staleBefore (its
// request's process died; a committed row is never taken over, its change
// was saved). It returns the row and whether this caller now
// holds it; when it does not, the row is the other request's, to compare,
// wait for or replay. Of any number of concurrent claims on any number of
// instances exactly one holds the lock: the insert is ON CONFLICT DO
// NOTHING and the takeover a compare-and-swap on the row's id.
func (d *DB) ClaimIdempotencyKey(ctx context.Context, tokenID, key, fingerprint string, expiredBefore, staleBefore time.Time) (*IdempotencyKey, bool, error) {
	for range 5 {
		now := d.now()
		id := uuid.NewString()
		res, err := d.x.ExecContext(ctx, d.q(`INSERT INTO idempotency_keys (id, token_id, idem_key, fingerprint, state, created_at, locked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token_id, idem_key) DO NOTHING`),
			id, tokenID, key, fingerprint, IdempotencyRunning, now, now)
		if err != nil {
			return nil, false, fmt.Errorf("db: claim idempotency key: %w", err)
		}
		mine := &IdempotencyKey{ID: id, TokenID: tokenID, Key: key, Fingerprint: fingerprint, State: IdempotencyRunning, CreatedAt: now, LockedAt: now}
		if n, err := res.RowsAffected(); err != nil {
			return nil, false, fmt.Errorf("db: claim idempotency key: %w", err)
		} else if n == 1 {
			return mine, true, nil
		}
		cur, err := d.IdempotencyKeyOf(ctx, tokenID, key)
		if errors.Is(err, ErrNotFound) {
			continue // released meanwhile: insert again
		}
		if err != nil {
			return nil, false, err
		}
		expired := cur.CreatedAt.Before(ts(expiredBefore))
		stale := cur.State == IdempotencyRunning && cur.LockedAt.Before(ts(staleBefore))
		if !expired && !stale {
			return cur, false, nil
		}
		res, err = d.x.ExecContext(ctx, d.q(`UPDATE idempotency_keys SET id = ?, fingerprint = ?, state = ?, status = 0, content_type = '', location = '',
			key_id = NULL, body = NULL, carries_secret = ?, object_id = '', created_at = ?, locked_at = ?, done_at = NULL
			WHERE token_id = ? AND idem_key = ? AND id = ?`),
			id, fingerprint, IdempotencyRunning, false, now, now, tokenID, key, cur.ID)
		if err != nil {
			return nil, false, fmt.Errorf("db: take over idempotency key: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, false, fmt.Errorf("db: take over idempotency key: %w", err)
		} else if n == 1 {
			return mine, true, nil
		}
		// Another request took it over first: look again.
	}
	return nil, false, fmt.Errorf("db: claim idempotency key: the row kept changing")
}

// IdempotencyKeyOf returns the row of (tokenID, key), or ErrNotFound.
func (d *DB) IdempotencyKeyOf(ctx context.Context, tokenID, key string) (*IdempotencyKey, error) {
	var k IdempotencyKey
	err := d.x.GetContext(ctx, &k, d.q(`SELECT `+idempotencyCols+` FROM idempotency_keys WHERE token_id = ? AND idem_key = ?`), tokenID, key)
	if err != nil {
		return nil, fmt.Errorf("db: idempotency key: %w", mapErr(err))
	}
	return &k, nil
}

// FinishIdempotencyKey keeps the answer of the request holding row id: its
// status, content type and location, sealed body (under keyID), whether it carries a
// one-time secret and the created object's id. It reports whether the row
// was still this request's (a row taken over as stale is not).
func (d *DB) FinishIdempotencyKey(ctx context.Context, id string, status int, contentType, location, keyID string, sealedBody []byte, carriesSecret bool, objectID string) (bool, error) {
	res, err := d.x.ExecContext(ctx, d.q(`UPDATE idempotency_keys SET state = ?, status = ?, content_type = ?, location = ?, key_id = ?, body = ?,
		carries_secret = ?, object_id = COALESCE(NULLIF(CAST(? AS TEXT), ''), object_id), done_at = ? WHERE id = ? AND state IN (?, ?)`),
		IdempotencyDone, status, contentType, location, keyID, sealedBody, carriesSecret, objectID, d.now(), id, IdempotencyRunning, IdempotencyCommitted)
	if err != nil {
		return false, fmt.Errorf("db: finish idempotency key: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: finish idempotency key: %w", err)
	}
	return n == 1, nil
}

// ReleaseIdempotencyKey deletes the running row id, so that the next
// request with its key runs afresh (after a 5xx or a refused input). A row
// whose change was saved (committed) is not released: it becomes done with
// its answer lost (status 0), so a retry learns what was made instead of
// making it again.
func (d *DB) ReleaseIdempotencyKey(ctx context.Context, id string) error {
	if _, err := d.x.ExecContext(ctx, d.q(`DELETE FROM idempotency_keys WHERE id = ? AND state = ?`), id, IdempotencyRunning); err != nil {
		return fmt.Errorf("db: release idempotency key: %w", err)
	}
	if _, err := d.x.ExecContext(ctx, d.q(`UPDATE idempotency_keys SET state = ?, status = 0, done_at = ? WHERE id = ? AND state = ?`),
		IdempotencyDone, d.now(), id, IdempotencyCommitted); err != nil {
		return fmt.Errorf("db: release idempotency key: %w", err)
	}
	return nil
}

// ForgetIdempotentBody drops the kept answer of row id (a one-time secret
// past its replay window); status, fingerprint and object id stay, so the
// key still refuses another body and still says what it created.
func (d *DB) ForgetIdempotentBody(ctx context.Context, id string) error {
	if _, err := d.x.ExecContext(ctx, d.q(`UPDATE idempotency_keys SET key_id = NULL, body = NULL WHERE id = ?`), id); err != nil {
		return fmt.Errorf("db: forget idempotent answer: %w", err)
	}
	return nil
}

// PruneIdempotencyKeys deletes the rows created before expiredBefore and
// drops the kept answers that carry a secret and were finished before
// secretBefore. It returns how many rows it deleted.
func (d *DB) PruneIdempotencyKeys(ctx context.Context, expiredBefore, secretBefore time.Time) (int64, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`DELETE FROM idempotency_keys WHERE created_at < ?`), ts(expiredBefore))
		if err != nil {
			return fmt.Errorf("db: prune idempotency keys: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("db: prune idempotency keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, d.q(`UPDATE idempotency_keys SET key_id = NULL, body = NULL
			WHERE carries_secret = ? AND body IS NOT NULL AND done_at < ?`), true, ts(secretBefore)); err != nil {
			return fmt.Errorf("db: prune idempotent secrets: %w", err)
		}
		return nil
	})
	return n, err
}
