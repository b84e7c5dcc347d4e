package db_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/db"
)

func TestDB_HitRateLimit(t *testing.T) {
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
				hits, err := s.HitRateLimit(ctx, "token:a", window)
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

		if hits, err := s.HitRateLimit(ctx, "token:b", window); err != nil || hits != 1 {
			t.Errorf("first hit of another bucket = %d, %v; want 1", hits, err)
		}
		// A time inside the window written at another precision or zone is
		// the same window only if the caller truncates; the store keeps what
		// it is given, normalised to UTC microseconds.
		if hits, err := s.HitRateLimit(ctx, "token:a", window.In(time.FixedZone("x", 3600))); err != nil || hits != n+1 {
			t.Errorf("hit with the window start in another zone = %d, %v; want %d (the same window)", hits, err, n+1)
		}
		next := window.Add(time.Minute)
		if hits, err := s.HitRateLimit(ctx, "token:a", next); err != nil || hits != 1 {
			t.Errorf("first hit of the next window = %d, %v; want 1", hits, err)
		}

		pruned, err := s.PruneRateLimits(ctx, next)
		if err != nil || pruned != 2 {
			t.Errorf("PruneRateLimits(before the next window) = %d, %v; want 2 (token:a and token:b of the old window)", pruned, err)
		}
		if hits, err := s.HitRateLimit(ctx, "token:a", next); err != nil || hits != 2 {
			t.Errorf("hit of the kept window after pruning = %d, %v; want 2", hits, err)
		}
		if hits, err := s.HitRateLimit(ctx, "token:a", window); err != nil || hits != 1 {
			t.Errorf("hit of the pruned window = %d, %v; want 1 (counting again from nothing)", hits, err)
		}
	})
}
