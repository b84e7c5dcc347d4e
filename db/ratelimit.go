package db

import (
	"context"
	"fmt"
	"time"
)

// ReserveRateLimit counts n requests against bucket in the window that
// starts at windowStart and returns the window's count including them: an
// instance that takes a block of its allowance (the API limiter's leases)
// spends one statement on n requests. It is one statement, INSERT … ON
// CONFLICT DO UPDATE … RETURNING (PostgreSQL, SQLite 3.35+), so concurrent
// reservations from any number of instances sharing the database each get
// a distinct count: of k concurrent reservations of 1 on a fresh window
// exactly one sees 1 and one sees k.
//
// On PostgreSQL the statement's transaction commits with synchronous_commit
// off (set_config(…, true) is local to it): the count is visible to every
// instance when the statement returns, but the commit does not wait for
// the disk; a crash of the database may forget the last fraction of a
// second of counts, which lets a client a few extra requests and never
// refuses one wrongly.
//
// The caller chooses the window (the limiter truncates its clock to the
// minute): a fixed window lets a client spend a full allowance just before a
// window ends and another just after it starts, so up to twice the limit can
// pass in a short span around a boundary.
func (d *DB) ReserveRateLimit(ctx context.Context, bucket string, windowStart time.Time, n int) (int, error) {
	if n < 1 {
		return 0, fmt.Errorf("db: reserve rate limit: n = %d, want at least 1", n)
	}
	query := `INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, ?)
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + excluded.hits
		RETURNING hits`
	if d.dialect == Postgres {
		query = `INSERT INTO rate_limits (bucket, window_start, hits)
		SELECT ?::text, ?::timestamptz, ?::integer WHERE set_config('synchronous_commit', 'off', true) = 'off'
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + excluded.hits
		RETURNING hits`
	}
	var hits int
	if err := d.getPrepared(ctx, &hits, d.q(query), bucket, ts(windowStart), n); err != nil {
		return 0, fmt.Errorf("db: hit rate limit: %w", err)
	}
	return hits, nil
}

// PruneRateLimits deletes the windows that started before before and returns
// how many it deleted. The table is small (a row per active bucket and
// window), so the scan this needs stays cheap without an index of its own.
func (d *DB) PruneRateLimits(ctx context.Context, before time.Time) (int64, error) {
	res, err := d.x.ExecContext(ctx, d.q(`DELETE FROM rate_limits WHERE window_start < ?`), ts(before))
	if err != nil {
		return 0, fmt.Errorf("db: prune rate limits: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("db: prune rate limits: %w", err)
	}
	return n, nil
}
