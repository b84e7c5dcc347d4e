package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/db"
	"switchboard/db/dbtest"
)

// TestDeadline_SilentServer puts the store behind a relay that stops
// answering (as a SIGSTOPped PostgreSQL does: connections stay open, nothing
// comes back). A query, a transaction and a ping each give up at their
// context's deadline instead of waiting for the server; when the server
// answers again the pool works, on fresh connections.
func TestDeadline_SilentServer(t *testing.T) {
	u, relay := dbtest.SilentURL(t)
	ctx := context.Background()
	store, err := db.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.Ready(ctx); err != nil {
		t.Fatalf("before the silence: %v", err)
	}

	relay.Silence()
	const deadline = 300 * time.Millisecond
	bounded := func(name string, fn func(context.Context) error) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- fn(cctx) }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s succeeded against a silent server", name)
			} else if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(cctx.Err(), context.DeadlineExceeded) {
				t.Errorf("%s: %v, want the deadline's error", name, err)
			}
			if took := time.Since(start); took > deadline+2*time.Second {
				t.Errorf("%s took %v against a silent server, deadline %v", name, took, deadline)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("%s still waiting 15 s after its %v deadline", name, deadline)
		}
	}
	bounded("a query", store.Ready)
	bounded("a ping", store.Ping)
	bounded("a transaction", func(c context.Context) error {
		tx, err := store.SQLX().BeginTxx(c, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		_, err = tx.ExecContext(c, `UPDATE settings SET value = value WHERE key = 'none'`)
		return err
	})

	relay.Speak()
	for i := 0; i < 3; i++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := store.Ready(cctx)
		cancel()
		if err != nil {
			t.Fatalf("after the server answers again, query %d: %v", i+1, err)
		}
	}
}
