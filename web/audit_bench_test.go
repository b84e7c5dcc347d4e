package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// BenchmarkAudit_100k measures the audit log over 100,000 rows (6 teams, 10
// actors, every audited action, 100 days): the admin's first page, a
// filtered page (one team, one action, a two-week range), and the same two
// through the API with a team token. On PostgreSQL it logs the filtered
// query's plan.
func BenchmarkAudit_100k(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			env := webtest.New(b, d)
			var teams []*db.Team
			for i := range 6 {
				teams = append(teams, env.CreateTeam(fmt.Sprintf("team-%d", i)))
			}
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			start := time.Now().UTC().Add(-100 * 24 * time.Hour)
			events := make([]db.AuditEvent, 0, 100_000)
			actors := make([]string, 10)
			for i := range actors {
				actors[i] = uuid.NewString()
			}
			for i := range 100_000 {
				team := teams[i%6].ID
				events = append(events, db.AuditEvent{At: start.Add(time.Duration(i) * 86400 * time.Millisecond), ActorType: "user",
					ActorID: actors[i%10], ActorLabel: fmt.Sprintf("user%d@example.com", i%10), TeamID: &team,
					Action: string(access.AuditActions[(i/6)%len(access.AuditActions)]), TargetType: "integration", TargetID: uuid.NewString(),
					IP: "192.0.2.7", UserAgent: "Mozilla/5.0 (bench)", Details: `{"provider":"nodekey","name":"bench"}`})
			}
			if err := env.Store.InsertAuditEvents(context.Background(), events); err != nil {
				b.Fatal(err)
			}
			if d == db.Postgres {
				env.Store.SQLX().MustExec(`ANALYZE audit_events`)
			}
			token := env.CreateToken(teams[2].ID, true)
			c := env.Client()
			c.SignIn("admin@example.com")
			filter := url.Values{"team": {teams[2].ID}, "action": {"integration.create"},
				"from": {start.Add(40 * 24 * time.Hour).Format(time.RFC3339)}, "to": {start.Add(54 * 24 * time.Hour).Format(time.RFC3339)}}
			apiFilter := url.Values{"action": {"integration.create"}, "from": filter["from"], "to": filter["to"]}
			if d == db.Postgres {
				var plan []string
				err := env.Store.SQLX().Select(&plan, `EXPLAIN ANALYZE SELECT id FROM audit_events WHERE team_id = $1 AND action = $2 AND at >= $3 AND at < $4 ORDER BY at DESC, id DESC LIMIT 51`,
					teams[2].ID, "integration.create", start.Add(40*24*time.Hour), start.Add(54*24*time.Hour))
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("filtered page plan:\n%s", strings.Join(plan, "\n"))
				plan = nil
				// The token's filtered page: its scope is team_id IN (…).
				err = env.Store.SQLX().Select(&plan, `EXPLAIN ANALYZE SELECT id FROM audit_events WHERE (team_id IN ($1)) AND action = $2 AND at >= $3 AND at < $4 AND (at, id) < ($5, $6) ORDER BY at DESC, id DESC LIMIT 51`,
					teams[2].ID, "integration.create", start.Add(40*24*time.Hour), start.Add(54*24*time.Hour), start.Add(47*24*time.Hour), uuid.NewString())
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("token's filtered page plan, with a cursor:\n%s", strings.Join(plan, "\n"))
			}
			get := func(b *testing.B, path string, want string) {
				resp, body := c.Get(path)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
					b.Fatalf("GET %s = %d", path, resp.StatusCode)
				}
			}
			api := func(b *testing.B, q url.Values) {
				resp, m, raw := env.API(http.MethodGet, "/api/v1/audit-events?"+q.Encode(), token, nil)
				if ev, _ := m["events"].([]any); resp.StatusCode != http.StatusOK || len(ev) == 0 {
					b.Fatalf("API = %d %.200s", resp.StatusCode, raw)
				}
			}
			b.Run("page-first", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					get(b, "/audit", `data-testid="audit-older"`)
				}
			})
			b.Run("page-filtered", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					get(b, "/audit?"+filter.Encode(), `data-testid="audit-row"`)
				}
			})
			// A keyset cursor 90,000 rows down: what "Older events" follows
			// after many pages.
			var deep struct {
				At time.Time `db:"at"`
				ID string    `db:"id"`
			}
			if err := env.Store.SQLX().Get(&deep, `SELECT at, id FROM audit_events ORDER BY at DESC, id DESC LIMIT 1 OFFSET 90000`); err != nil {
				b.Fatal(err)
			}
			deepCursor := access.EncodeAuditCursor(deep.At, deep.ID)
			b.Run("page-deep", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					get(b, "/audit?cursor="+url.QueryEscape(deepCursor), `data-testid="audit-row"`)
				}
			})
			// The first and deep pages through the app's handler alone
			// (webtest.ServeDirect), so B/op is what the server allocates.
			cookie := c.CookieHeader()
			for _, page := range []struct{ name, path string }{
				{"server-page-first", "/audit"},
				{"server-page-deep", "/audit?cursor=" + url.QueryEscape(deepCursor)},
			} {
				b.Run(page.name, func(b *testing.B) {
					rc := webtest.NewRequestCtx()
					b.ReportAllocs()
					for b.Loop() {
						env.Logs.Reset()
						if status, body := env.ServeDirect(rc, page.path, cookie); status != http.StatusOK || !strings.Contains(string(body), `data-testid="audit-row"`) {
							b.Fatalf("GET %s = %d", page.path, status)
						}
					}
				})
			}
			b.Run("api-first", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					api(b, url.Values{})
				}
			})
			b.Run("api-filtered", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					api(b, apiFilter)
				}
			})
		})
	}
}
