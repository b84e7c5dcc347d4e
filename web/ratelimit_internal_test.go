package web

import (
	"context"
	"sync"
	"testing"
	"time"

	"switchboard/db/dbtest"
)

// TestRateLimiter_Leases: take draws a token's allowance from the shared
// count in leases of 1, 2, 4, … up to limit/64, spends them without a
// statement, and never lets two limiters over one store grant more than
// the limit between them.
func TestRateLimiter_Leases(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			store := dbtest.MustOpenDB(t, d)
			ctx := context.Background()
			window := time.Now().UTC().Truncate(time.Minute)
			shared := func(id string) int {
				var hits int
				if err := store.SQLX().Get(&hits, store.SQLX().Rebind(`SELECT hits FROM rate_limits WHERE bucket = ? AND window_start = ?`), "token:"+id, window); err != nil {
					t.Fatal(err)
				}
				return hits
			}

			a := &rateLimiter{store: store, limit: 256} // leases of up to 4
			for i := 1; i <= 10; i++ {
				hits, err := a.take(ctx, "one", window)
				if err != nil {
					t.Fatal(err)
				}
				if hits != i {
					t.Errorf("take %d: hits = %d, want %d (one limiter knows what it served)", i, hits, i)
				}
			}
			if got := shared("one"); got != 1+2+4+4 {
				t.Errorf("shared count after 10 takes = %d, want 11: leases of 1, 2, 4, 4", got)
			}

			// Two limiters over one store, taking concurrently: at most
			// the limit between them, and each refused at most a lease
			// early.
			b := &rateLimiter{store: store, limit: 256}
			var mu sync.Mutex
			granted := 0
			var wg sync.WaitGroup
			for _, l := range []*rateLimiter{a, b, a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 200 {
						hits, err := l.take(ctx, "two", window)
						if err != nil {
							t.Error(err)
							return
						}
						if hits <= l.limit {
							mu.Lock()
							granted++
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			if granted > 256 {
				t.Errorf("two limiters granted %d, want at most the limit 256", granted)
			}
			if granted < 256-2*leaseMax(256) {
				t.Errorf("two limiters granted %d, want at least %d (only leases held unspent refused early)", granted, 256-2*leaseMax(256))
			}

			// A new window starts a new lease of one.
			next := window.Add(time.Minute)
			if hits, err := a.take(ctx, "one", next); err != nil || hits != 1 {
				t.Errorf("first take of the next window = %d, %v; want 1", hits, err)
			}
		})
	}
}
