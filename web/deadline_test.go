package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web"
	"switchboard/web/webtest"
)

// TestDeadline_LockedDatabase holds PostgreSQL's tables locked from another
// connection: /readyz answers 503 and an API request gets its family's
// error (503) at the request deadline instead of waiting for the lock.
func TestDeadline_LockedDatabase(t *testing.T) {
	env := webtest.NewWith(t, db.Postgres, func(c *web.Config) { c.RequestTimeout = time.Second })
	team := env.CreateTeam("ops")
	token := env.CreateToken(team.ID, false)
	if resp, _, body := env.API(http.MethodGet, "/api/v1/integrations", token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the lock: GET /api/v1/integrations = %d %s", resp.StatusCode, body)
	}

	ctx := context.Background()
	conn, err := env.Store.SQLX().Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `LOCK TABLE schema_migrations, api_tokens, integrations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	// A generous bound (20 times the request deadline) so a regression fails
	// instead of hanging; it is below statement_timeout (30 s), so only the
	// request deadline answers in time.
	guard := func(name string, fn func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { fn(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not answer while the tables were locked", name)
		}
	}
	guard("/readyz", func() {
		resp, _, body := env.API(http.MethodGet, "/readyz", "", nil)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz with the schema locked = %d %s, want 503", resp.StatusCode, body)
		}
	})
	guard("the API", func() {
		resp, m, body := env.API(http.MethodGet, "/api/v1/integrations", token, nil)
		if resp.StatusCode != http.StatusServiceUnavailable || m["error"] != "service_unavailable" {
			t.Errorf("GET /api/v1/integrations with its tables locked = %d %s, want 503 with error service_unavailable", resp.StatusCode, body)
		}
	})
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if resp, _, body := env.API(http.MethodGet, "/readyz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz after the lock = %d %s, want 200", resp.StatusCode, body)
	}
	if resp, _, body := env.API(http.MethodGet, "/api/v1/integrations", token, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/integrations after the lock = %d %s, want 200", resp.StatusCode, body)
	}
}

// TestDeadline_SilentDatabase stops PostgreSQL's answers altogether (a relay
// that holds every byte, as a SIGSTOPped server or a dead network path
// does): an API request answers 503 in its family's shape at the request
// deadline, /readyz answers 503 within its own, and once the server speaks
// again both answer 200.
func TestDeadline_SilentDatabase(t *testing.T) {
	u, relay := dbtest.SilentURL(t)
	deadlineWhenSilent(t, u, relay.Silence, relay.Speak)
}

// TestDeadline_StoppedPostgres is the same with a real server stopped by
// SIGSTOP (a cluster of the test's own: every process of it, postmaster and
// backends, is stopped, then resumed with SIGCONT).
func TestDeadline_StoppedPostgres(t *testing.T) {
	c := dbtest.StartCluster(t)
	deadlineWhenSilent(t, c.URL(), c.Freeze, c.Thaw)
}

func deadlineWhenSilent(t *testing.T, u string, silence, speak func()) {
	store, err := db.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := webtest.NewOnStore(t, store, func(c *web.Config) { c.RequestTimeout = time.Second })
	team := env.CreateTeam("ops")
	token := env.CreateToken(team.ID, false)
	if resp, _, body := env.API(http.MethodGet, "/api/v1/integrations", token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the silence: GET /api/v1/integrations = %d %s", resp.StatusCode, body)
	}

	silence()
	timed := func(name string, within time.Duration, fn func()) {
		t.Helper()
		start := time.Now()
		done := make(chan struct{})
		go func() { fn(); close(done) }()
		select {
		case <-done:
			if took := time.Since(start); took > within {
				t.Errorf("%s answered after %v with the database silent, want within %v", name, took.Round(time.Millisecond), within)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not answer in 20 s with the database silent", name)
		}
	}
	for i := 0; i < 3; i++ { // more than one: each finds a fresh connection silent too
		timed("GET /api/v1/integrations", 3*time.Second, func() {
			resp, m, body := env.API(http.MethodGet, "/api/v1/integrations", token, nil)
			if resp.StatusCode != http.StatusServiceUnavailable || m["error"] != "service_unavailable" {
				t.Errorf("GET /api/v1/integrations with the database silent = %d %s, want 503 service_unavailable", resp.StatusCode, body)
			}
		})
	}
	timed("GET /readyz", web.ReadyTimeout+time.Second, func() {
		resp, _, body := env.API(http.MethodGet, "/readyz", "", nil)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz with the database silent = %d %s, want 503", resp.StatusCode, body)
		}
	})

	speak()
	waitFor := time.Now().Add(10 * time.Second)
	for {
		resp, _, body := env.API(http.MethodGet, "/api/v1/integrations", token, nil)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(waitFor) {
			t.Fatalf("GET /api/v1/integrations 10 s after the database answers again = %d %s, want 200", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp, _, body := env.API(http.MethodGet, "/readyz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz after the database answers again = %d %s, want 200", resp.StatusCode, body)
	}
}
