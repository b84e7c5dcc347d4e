package db_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
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

// TestDB_APITokenByHashCounted: the token lookup that counts the request
// in the same round trip returns the token's team and the window's hits,
// counts only a usable token, and on PostgreSQL leaves the connection's
// synchronous_commit as it was (the "off" is local to the counter's own
// statement, never to the writes that follow on the connection).
func TestDB_APITokenByHashCounted(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *db.DB) {
		ctx := context.Background()
		f := seed(t, s)
		s.SQLX().SetMaxOpenConns(1) // one connection: what the lookup set, the next query sees
		tok := &db.APIToken{ID: uuid.NewString(), TeamID: f.team.ID, Name: "ci", TokenHash: "k1:counted", DisplayPrefix: "sbt_abcd"}
		if err := s.CreateAPIToken(ctx, tok, nil); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		count := &db.RateCount{Window: now.Truncate(time.Minute), Now: now}
		for want := 1; want <= 3; want++ {
			got, err := s.APITokenByHashCounted(ctx, []string{"k2:other", "k1:counted"}, count)
			if err != nil || got.ID != tok.ID || got.RateHits != want {
				t.Fatalf("lookup %d = %+v, %v; want the token with %d hits", want, got, err, want)
			}
			if got.TeamSlug != "payments" || got.TeamName != "Payments" {
				t.Errorf("team = %q/%q, want payments/Payments", got.TeamSlug, got.TeamName)
			}
		}
		if s.Dialect() == db.Postgres {
			var sc string
			if err := s.SQLX().Get(&sc, `SHOW synchronous_commit`); err != nil || sc != "on" {
				t.Errorf("synchronous_commit after the counted lookup = %q, %v; want on (local to its statement)", sc, err)
			}
		}
		if got, err := s.APITokenByHashCounted(ctx, []string{"nope"}, count); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("unknown hash = %+v, %v; want ErrNotFound", got, err)
		}
		if _, err := s.RevokeAPIToken(ctx, tok.ID, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.APITokenByHashCounted(ctx, []string{"k1:counted"}, count)
		if err != nil || got.RevokedAt == nil || got.RateHits != 0 {
			t.Fatalf("revoked token = %+v, %v; want it found, revoked, not counted", got, err)
		}
		if hits, err := s.HitRateLimit(ctx, "token:"+tok.ID, count.Window); err != nil || hits != 4 {
			t.Errorf("next hit = %d, %v; want 4 (the revoked lookup counted nothing)", hits, err)
		}
	})
}
