package db

import (
	"context"
	"fmt"
	"time"
)

// ClaimThrottle counts one try against key and returns the tries of key's
// current window including this one. The window is fixed: it starts at the
// first try after the previous one expired (older than window) and lasts
// window. It is one statement, INSERT … ON CONFLICT DO UPDATE … RETURNING
// (PostgreSQL, SQLite 3.35+), so n concurrent claims from any number of
// instances sharing the database see n distinct counts: a caller that lets
// only counts up to a limit through lets at most the limit through.
func (d *DB) ClaimThrottle(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	now = ts(now)
	expired := now.Add(-window)
	var tries int
	err := d.x.GetContext(ctx, &tries, d.q(`INSERT INTO sign_in_throttle (key, window_start, tries) VALUES (?, ?, 1)
		ON CONFLICT (key) DO UPDATE SET
			tries = CASE WHEN sign_in_throttle.window_start <= ? THEN 1 ELSE sign_in_throttle.tries + 1 END,
			window_start = CASE WHEN sign_in_throttle.window_start <= ? THEN excluded.window_start ELSE sign_in_throttle.window_start END
		RETURNING tries`), key, now, expired, expired)
	if err != nil {
		return 0, fmt.Errorf("db: claim throttle: %w", err)
	}
	return tries, nil
}

// RefundThrottle gives back one claimed try of key (a try that succeeded,
// so the counts are of failures and tries in flight).
func (d *DB) RefundThrottle(ctx context.Context, key string) error {
	if _, err := d.x.ExecContext(ctx, d.q(`UPDATE sign_in_throttle SET tries = tries - 1 WHERE key = ? AND tries > 0`), key); err != nil {
		return fmt.Errorf("db: refund throttle: %w", err)
	}
	return nil
}

// PruneThrottle deletes the keys whose window started before before.
func (d *DB) PruneThrottle(ctx context.Context, before time.Time) error {
	if _, err := d.x.ExecContext(ctx, d.q(`DELETE FROM sign_in_throttle WHERE window_start < ?`), ts(before)); err != nil {
		return fmt.Errorf("db: prune throttle: %w", err)
	}
	return nil
}
