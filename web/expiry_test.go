package web_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/secrets"
	"switchboard/web"
	"switchboard/web/webtest"
)

// exInstances builds n apps over one database (as n instances of serve
// would run), sharing the master key; the URL lets a test open more.
func exInstances(t *testing.T, d db.Dialect, n int) ([]*webtest.Env, string, *secrets.Keyring) {
	t.Helper()
	dbURL := dbtest.URL(t, d)
	k, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	var out []*webtest.Env
	for range n {
		out = append(out, exInstance(t, dbURL, keys))
	}
	return out, dbURL, keys
}

// exInstance opens (and migrates) the database at dbURL and builds an app on it.
func exInstance(t *testing.T, dbURL string, keys *secrets.Keyring) *webtest.Env {
	t.Helper()
	store, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := &webtest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app := web.New(web.Config{BaseURL: "http://127.0.0.1", AllowPrivateTargets: true, APIRateLimit: webtest.TestAPIRateLimit}, store, keys, log)
	return &webtest.Env{T: t, App: app, Store: store, Keys: keys, Logs: logs}
}

// TestExpiryEvents_OnceAcrossInstances: a node key and a token expiring
// in 10 days get integration.expiring / token.expiring once when 7 days
// are left and once when 1 day is left, with two instances (two apps on
// one database) sweeping at the same moments, twice each; the lists flag
// them once they are within 7 days. On SQLite and PostgreSQL.
func TestExpiryEvents_OnceAcrossInstances(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			envs, _, _ := exInstances(t, d, 2)
			a := envs[0]
			start := time.Now().UTC().Truncate(time.Second)
			now := start
			var mu sync.Mutex
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			for _, e := range envs {
				e.App.Services.Now, e.App.Access.Now = clock, clock
			}
			setClock := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
			team := a.CreateTeam("payments")
			root := sb.Actor{Role: sb.RoleAdmin, Email: "test"}
			expires := start.Add(10 * 24 * time.Hour)
			created, err := a.App.Services.Create(context.Background(), root, &integrations.NodeKeyInput{NodeID: a.CreateNode(team.ID, "edge").ID, Name: "k", ExpiresAt: &expires}, nil)
			if err != nil {
				t.Fatal(err)
			}
			keyID := created.Record.ID
			_, tok, err := a.App.Access.CreateToken(context.Background(), root, access.TokenInput{TeamID: team.ID, Name: "deploy", ExpiresIn: 10 * 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			// A key without expiry and a revoked token never warn.
			if _, err := a.App.Services.Create(context.Background(), root, &integrations.NodeKeyInput{NodeID: a.CreateNode(team.ID, "edge-2").ID, Name: "forever"}, nil); err != nil {
				t.Fatal(err)
			}

			sweepAll := func() int {
				var wg sync.WaitGroup
				var total int
				var tmu sync.Mutex
				for _, e := range append(envs, envs...) {
					wg.Add(1)
					go func() {
						defer wg.Done()
						n, err := e.App.Services.SweepKeys(context.Background())
						if err != nil {
							t.Error(err)
						}
						tmu.Lock()
						total += n
						tmu.Unlock()
					}()
				}
				wg.Wait()
				return total
			}
			if n := sweepAll(); n != 0 {
				t.Errorf("10 days before: %d events, want 0", n)
			}
			setClock(start.Add(3*24*time.Hour + time.Hour)) // 6 days 23 hours left
			if n := sweepAll(); n != 2 {
				t.Errorf("within 7 days: %d events, want 2 (key and token)", n)
			}
			if n := sweepAll(); n != 0 {
				t.Errorf("swept again within 7 days: %d events, want 0", n)
			}
			env := a
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c, _ := htSignIn(t, env, "admin@example.com")
			want := "expires soon: " + expires.Format("2006-01-02 15:04 UTC")
			if _, list := c.Get("/integrations"); !strings.Contains(list, want) {
				t.Errorf("the integrations list (home) does not flag the key: want %q", want)
			}
			if _, list := c.Get("/tokens?team=" + team.ID); !strings.Contains(list, `data-testid="token-ending">`+want) {
				t.Errorf("the tokens page does not flag the token")
			}
			setClock(start.Add(9*24*time.Hour + time.Hour)) // 23 hours left
			if n := sweepAll(); n != 2 {
				t.Errorf("within 1 day: %d events, want 2", n)
			}
			setClock(start.Add(9*24*time.Hour + 2*time.Hour))
			if n := sweepAll(); n != 0 {
				t.Errorf("swept again within 1 day: %d events, want 0", n)
			}
			if got := rlAuditRows(t, env, "integration.expiring", keyID); got != 2 {
				t.Errorf("integration.expiring rows = %d, want 2", got)
			}
			if got := rlAuditRows(t, env, "token.expiring", tok.ID); got != 2 {
				t.Errorf("token.expiring rows = %d, want 2", got)
			}
			var total int
			x := env.Store.SQLX()
			if err := x.Get(&total, `SELECT COUNT(*) FROM audit_events WHERE action IN ('integration.expiring', 'token.expiring')`); err != nil {
				t.Fatal(err)
			}
			if total != 4 {
				t.Errorf("expiry events in all = %d, want 4", total)
			}
		})
	}
}
