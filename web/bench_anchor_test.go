package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web"
	"switchboard/web/webtest"
)

// BenchmarkAPI_AnchorOnePasswordCreate measures the Anchor-shaped 1Password
// create that `make loadtest` drives with wrk (token lookup, rate-limit
// count, team read, sealed token, one transaction with its audit row), with
// the limiter on and off so the difference is the limiter's cost.
func BenchmarkAPI_AnchorOnePasswordCreate(b *testing.B) {
	for _, d := range dbtest.Dialects {
		for _, lim := range []struct {
			name  string
			limit int
		}{{"limiter=on", 1 << 30}, {"limiter=off", -1}} {
			b.Run(string(d)+"/"+lim.name, func(b *testing.B) {
				env := webtest.NewWith(b, d, func(c *web.Config) { c.APIRateLimit = lim.limit })
				token := env.CreateToken(env.CreateTeam("bench").ID, false)
				ops := newOPToken(b).Token
				n := 0
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					n++
					req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/integrations", strings.NewReader(opBody(fmt.Sprintf("bench-%d", n), ops)))
					req.Header.Set("anchor-api-key", token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := env.App.Fiber.Test(req, -1)
					if err != nil {
						b.Fatal(err)
					}
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("create = %d %s", resp.StatusCode, raw)
					}
				}
			})
		}
	}
}

// seedIntegrations100k writes 100,000 1Password rows shaped as the create
// writes them (attrs, a sealed blob of a realistic size, one in ten
// disabled, one a minute apart) in one transaction, as `make loadtest`
// seeds PostgreSQL, so the list benchmarks read a realistic table.
func seedIntegrations100k(b *testing.B, env *webtest.Env, teamID, userID string) {
	b.Helper()
	ctx := context.Background()
	x := env.Store.SQLX()
	tx, err := x.BeginTxx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.PreparexContext(ctx, x.Rebind(`INSERT INTO integrations (id, team_id, provider, name, status, attrs, secret_key_id, secret_ciphertext, created_by_user, created_at, updated_at)
		VALUES (?, ?, '1password', ?, ?, ?, 'k1', ?, ?, ?, ?)`))
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	blob := make([]byte, 240)
	now := time.Now().UTC()
	for i := range 100_000 {
		status := "active"
		if i%10 == 0 {
			status = "disabled"
		}
		at := now.Add(-time.Duration(i+1) * time.Minute).Truncate(time.Microsecond)
		attrs := fmt.Sprintf(`{"signInAddress":"https://my.1password.com","fingerprint":"sha256:%032x"}`, i)
		if _, err := stmt.ExecContext(ctx, uuid.NewString(), teamID, fmt.Sprintf("seed-%06d", i), status, attrs, blob, userID, at, at); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if env.Store.Dialect() == db.Postgres {
		x.MustExec(`ANALYZE integrations`)
	}
}

// BenchmarkList_100k measures the integrations lists among 100,000
// integrations: the signed-in page (the one `make loadtest` drives at 64
// connections) first, filtered (status and team, and a name prefix) and
// deep (a keyset cursor 90,000 rows down), and the Anchor JSON list with a
// team token.
func BenchmarkList_100k(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			env := webtest.New(b, d)
			team := env.CreateTeam("bench")
			admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
			seedIntegrations100k(b, env, team.ID, admin.ID)
			token := env.CreateToken(team.ID, true)
			c := env.Client()
			c.SignIn("admin@example.com")
			var deep struct {
				At time.Time `db:"created_at"`
				ID string    `db:"id"`
			}
			if err := env.Store.SQLX().Get(&deep, `SELECT created_at, id FROM integrations ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET 90000`); err != nil {
				b.Fatal(err)
			}
			cursor := strconv.FormatInt(deep.At.UnixMicro(), 10) + "." + deep.ID
			for _, page := range []struct{ name, path string }{
				{"ui", "/integrations"},
				{"ui-filtered", "/integrations?status=disabled&team=" + team.ID},
				{"ui-name", "/integrations?name=seed-09"},
				{"ui-deep", "/integrations?before=" + cursor},
			} {
				b.Run(page.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if resp, body := c.Get(page.path); resp.StatusCode != http.StatusOK || !strings.Contains(body, "seed-") {
							b.Fatalf("list page %s = %d", page.path, resp.StatusCode)
						}
					}
				})
			}
			// The same pages through the app's handler alone (webtest's
			// ServeDirect: no connection, no HTTP parsing, no response
			// decoding or CSRF scan in the client), so B/op is what the
			// server allocates per request.
			cookie := c.CookieHeader()
			for _, page := range []struct{ name, path string }{
				{"server-ui", "/integrations"},
				{"server-ui-deep", "/integrations?before=" + cursor},
			} {
				b.Run(page.name, func(b *testing.B) {
					rc := webtest.NewRequestCtx()
					b.ReportAllocs()
					for b.Loop() {
						env.Logs.Reset()
						if status, body := env.ServeDirect(rc, page.path, cookie); status != http.StatusOK || !bytes.Contains(body, []byte("seed-")) {
							b.Fatalf("list page %s = %d %.300s\n%s", page.path, status, body, env.Logs.String())
						}
					}
				})
			}
			b.Run("anchor-api", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/v1/integrations", nil)
					req.Header.Set("anchor-api-key", token)
					resp, err := env.App.Fiber.Test(req, -1)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("anchor list = %d", resp.StatusCode)
					}
				}
			})
		})
	}
}
