package db_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/db"
	"switchboard/db/dbtest"
)

func TestDB_ClaimThrottle(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		const window = 15 * time.Minute
		start := time.Now()

		const n = 50
		var wg sync.WaitGroup
		var mu sync.Mutex
		var got []int
		var errs []error
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tries, err := s.ClaimThrottle(ctx, "account:a@example.com", start, window)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				got = append(got, tries)
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("%d concurrent claims: errors %v", n, errs)
		}
		slices.Sort(got)
		want := make([]int, n)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d concurrent claims returned %v, want each of 1..%d once", n, got, n)
		}

		if tries, err := s.ClaimThrottle(ctx, "addr:192.0.2.1", start, window); err != nil || tries != 1 {
			t.Errorf("first claim of another key = %d, %v; want 1", tries, err)
		}
		if err := s.RefundThrottle(ctx, "account:a@example.com"); err != nil {
			t.Fatal(err)
		}
		if tries, err := s.ClaimThrottle(ctx, "account:a@example.com", start.Add(window-time.Second), window); err != nil || tries != n {
			t.Errorf("claim after a refund, inside the window = %d, %v; want %d", tries, err, n)
		}
		later := start.Add(window)
		if tries, err := s.ClaimThrottle(ctx, "account:a@example.com", later, window); err != nil || tries != 1 {
			t.Errorf("claim once the window expired = %d, %v; want 1 (a new window)", tries, err)
		}
		if tries, err := s.ClaimThrottle(ctx, "account:a@example.com", later.Add(window-time.Second), window); err != nil || tries != 2 {
			t.Errorf("claim inside the new window = %d, %v; want 2 (the window starts at its first try)", tries, err)
		}
		if err := s.PruneThrottle(ctx, later); err != nil {
			t.Fatal(err)
		}
		if tries, err := s.ClaimThrottle(ctx, "addr:192.0.2.1", start, window); err != nil || tries != 1 {
			t.Errorf("claim of a pruned key = %d, %v; want 1", tries, err)
		}
		if tries, err := s.ClaimThrottle(ctx, "account:a@example.com", later, window); err != nil || tries != 3 {
			t.Errorf("claim of a kept key after pruning = %d, %v; want 3", tries, err)
		}
	})
}

func TestDB_StatementTimeout(t *testing.T) {
	s := dbtest.MustOpenDB(t, db.Postgres)
	var v string
	if err := s.SQLX().Get(&v, `SHOW statement_timeout`); err != nil {
		t.Fatal(err)
	}
	if v != "30s" {
		t.Errorf("statement_timeout = %q, want 30s (set on every connection by ParseURL)", v)
	}
}
