package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"switchboard/db"
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
