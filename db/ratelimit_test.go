package db_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/db"
)

func TestDB_ReserveRateLimit(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		window := time.Now().Truncate(time.Minute)

		const n = 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		var got []int
		var errs []error
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hits, err := s.ReserveRateLimit(ctx, "token:a", window, 1)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				got = append(got, hits)
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("%d concurrent hits: errors %v", n, errs)
		}
		slices.Sort(got)
		want := make([]int, n)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d concurrent hits returned %v, want each of 1..%d once", n, got, n)
		}

		if hits, err := s.ReserveRateLimit(ctx, "token:b", window, 1); err != nil || hits != 1 {
			t.Errorf("first hit of another bucket = %d, %v; want 1", hits, err)
		}
		// A time inside the window written at another precision or zone is
		// the same window only if the caller truncates; the store keeps what
		// it is given, normalised to UTC microseconds.
		if hits, err := s.ReserveRateLimit(ctx, "token:a", window.In(time.FixedZone("x", 3600)), 1); err != nil || hits != n+1 {
			t.Errorf("hit with the window start in another zone = %d, %v; want %d (the same window)", hits, err, n+1)
		}
		next := window.Add(time.Minute)
		if hits, err := s.ReserveRateLimit(ctx, "token:a", next, 1); err != nil || hits != 1 {
			t.Errorf("first hit of the next window = %d, %v; want 1", hits, err)
		}

		pruned, err := s.PruneRateLimits(ctx, next)
		if err != nil || pruned != 2 {
			t.Errorf("PruneRateLimits(before the next window) = %d, %v; want 2 (token:a and token:b of the old window)", pruned, err)
		}
		if hits, err := s.ReserveRateLimit(ctx, "token:a", next, 1); err != nil || hits != 2 {
			t.Errorf("hit of the kept window after pruning = %d, %v; want 2", hits, err)
		}
		if hits, err := s.ReserveRateLimit(ctx, "token:a", window, 1); err != nil || hits != 1 {
			t.Errorf("hit of the pruned window = %d, %v; want 1 (counting again from nothing)", hits, err)
		}
	})
}

// TestDB_ReserveRateLimit_Blocks: a reservation of n adds n and returns
// the window's count with them; n below 1 is refused; on PostgreSQL the
// connection's synchronous_commit is as it was afterwards (the "off" is
// local to the count's own statement, never to the writes that follow on
// the connection).
func TestDB_ReserveRateLimit_Blocks(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		s.SQLX().SetMaxOpenConns(1) // one connection: what the count set, the next query sees
		window := time.Now().Truncate(time.Minute)
		for _, step := range []struct{ n, want int }{{1, 1}, {4, 5}, {2, 7}} {
			if hits, err := s.ReserveRateLimit(ctx, "token:blocks", window, step.n); err != nil || hits != step.want {
				t.Errorf("reserve %d = %d, %v; want %d", step.n, hits, err, step.want)
			}
		}
		if _, err := s.ReserveRateLimit(ctx, "token:blocks", window, 0); err == nil {
			t.Error("a reservation of 0 was taken, want an error")
		}
		if s.Dialect() == db.Postgres {
			var sc string
			if err := s.SQLX().Get(&sc, `SHOW synchronous_commit`); err != nil || sc != "on" {
				t.Errorf("synchronous_commit after a count = %q, %v; want on (local to its statement)", sc, err)
			}
		}
	})
}
