package web_test

// In-process HTTP tests of the audit log: the page (/audit, with and
// without htmx), its CSV and JSON Lines exports and GET /api/v1/audit-events,
// on both dialects: each filter narrows, keyset pages walk every row once,
// support users and tokens see only their teams, bad filters are 400s
// naming the parameter, CSV cells cannot be formulas, and no secret reaches
// any of them. Helpers carry the au prefix.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/web/webtest"
)

// ---- helpers ----

// auBase is the time of the first seeded row.
var auBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// auWorld is two teams, an admin, a support user of team A and seeded rows.
type auWorld struct {
	a, b    *db.Team
	admin   *db.User
	support *db.User
	rows    []db.AuditEvent
	actors  []string // seeded actor ids
}

// auLabels are the seeded actors' labels; the first is formula-shaped.
var auLabels = []string{"=HYPERLINK(\"http://x\")", "bob@example.com", "token deploy", "carol@example.com"}
var auActions = []string{"integration.create", "integration.revoke", "token.create"}

// auSeed creates the world and n rows: teams alternate A, B and (every
// tenth) none; actions, actors and user agents cycle; times step a minute.
func auSeed(t testing.TB, env *webtest.Env, n int) auWorld {
	t.Helper()
	w := auWorld{a: env.CreateTeam("alpha"), b: env.CreateTeam("bravo")}
	w.admin = env.CreateUser("admin@example.com", sb.RoleAdmin)
	w.support = env.CreateUser("support@example.com", sb.RoleSupport, "alpha")
	for range auLabels {
		w.actors = append(w.actors, uuid.NewString())
	}
	for i := range n {
		e := db.AuditEvent{ID: uuid.NewString(), At: auBase.Add(time.Duration(i) * time.Minute), ActorType: "user",
			ActorID: w.actors[i%4], ActorLabel: auLabels[i%4], Action: auActions[i%3], TargetType: "integration",
			TargetID: uuid.NewString(), IP: "192.0.2.1", UserAgent: []string{"curl/8", "+cmd|calc", "@SUM(1)", "-2+3"}[i%4],
			Details: fmt.Sprintf(`{"n":%d,"name":"row %d"}`, i, i)}
		switch {
		case i%10 == 9:
		case i%2 == 0:
			e.TeamID = &w.a.ID
		default:
			e.TeamID = &w.b.ID
		}
		w.rows = append(w.rows, e)
	}
	if err := env.Store.InsertAuditEvents(context.Background(), w.rows); err != nil {
		t.Fatal(err)
	}
	return w
}

// want returns the seeded ids keep accepts, newest first.
func (w auWorld) want(keep func(db.AuditEvent) bool) []string {
	var ids []string
	for i := len(w.rows) - 1; i >= 0; i-- {
		if keep(w.rows[i]) {
			ids = append(ids, w.rows[i].ID)
		}
	}
	return ids
}

func auTeam(e db.AuditEvent) string {
	if e.TeamID == nil {
		return ""
	}
	return *e.TeamID
}

// auAPI walks every page of the API for query with a token and returns the
// ids in order.
func auAPI(t *testing.T, env *webtest.Env, token string, query url.Values) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("the API's cursor never ends")
		}
		resp, _, raw := env.API(http.MethodGet, "/api/v1/audit-events?"+query.Encode(), token, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET audit-events?%s = %d %s", query.Encode(), resp.StatusCode, raw)
		}
		var body struct {
			Events []struct {
				ID string `json:"id"`
			} `json:"events"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(raw), &body); err != nil {
			t.Fatalf("audit-events: %v: %s", err, raw)
		}
		for _, e := range body.Events {
			ids = append(ids, e.ID)
		}
		if body.NextCursor == nil {
			return ids
		}
		query.Set("cursor", *body.NextCursor)
	}
}

// auDomain returns every id actor sees for q, through the domain.
func auDomain(t *testing.T, env *webtest.Env, actor sb.Actor, q access.AuditQuery) []string {
	t.Helper()
	var ids []string
	err := env.App.Access.ExportAudit(context.Background(), actor, q, func(e access.AuditEvent) error {
		ids = append(ids, e.ID)
		return nil
	})
	if err != nil {
		t.Fatalf("ExportAudit: %v", err)
	}
	return ids
}

var auRowRE = regexp.MustCompile(`data-testid="audit-row"`)
var auOlderRE = regexp.MustCompile(`href="(/audit\?[^"]*)"[^>]*data-testid="audit-older"`)

// pageTargets returns the integration targets shown on a page, in order.
func (w auWorld) pageTargets(body string) []string {
	var out []string
	re := regexp.MustCompile(`data-target-type="integration" data-target-id="([0-9a-f-]{36})"`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// seededOnly drops the ids of rows the helpers wrote (team.create, …).
func (w auWorld) seededOnly(ids []string) []string {
	seeded := map[string]bool{}
	for _, e := range w.rows {
		seeded[e.ID] = true
	}
	var out []string
	for _, id := range ids {
		if seeded[id] {
			out = append(out, id)
		}
	}
	return out
}

func (w auWorld) targetsOf(ids []string) []string {
	byID := map[string]string{}
	for _, e := range w.rows {
		byID[e.ID] = e.TargetID
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

func auDiff(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d ids, want %d (first got %v, first want %v)", what, len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
}

// ---- tests ----

func TestAudit_Filters(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		w := auSeed(t, env, 120)
		admin := sb.Actor{UserID: w.admin.ID, Role: sb.RoleAdmin}
		from, to := auBase.Add(30*time.Minute), auBase.Add(90*time.Minute)
		cases := []struct {
			name string
			q    access.AuditQuery
			keep func(db.AuditEvent) bool
		}{
			{"team", access.AuditQuery{Team: w.b.ID}, func(e db.AuditEvent) bool { return auTeam(e) == w.b.ID }},
			{"actor id", access.AuditQuery{Actor: w.actors[1]}, func(e db.AuditEvent) bool { return e.ActorID == w.actors[1] }},
			{"actor label without case", access.AuditQuery{Actor: "CAROL@"}, func(e db.AuditEvent) bool { return e.ActorLabel == "carol@example.com" }},
			{"actor label with LIKE wildcards", access.AuditQuery{Actor: "%"}, func(e db.AuditEvent) bool { return false }},
			{"action", access.AuditQuery{Action: "token.create"}, func(e db.AuditEvent) bool { return e.Action == "token.create" }},
			{"action prefix", access.AuditQuery{Action: "integration."}, func(e db.AuditEvent) bool { return strings.HasPrefix(e.Action, "integration.") }},
			{"action prefix star", access.AuditQuery{Action: "integration.*"}, func(e db.AuditEvent) bool { return strings.HasPrefix(e.Action, "integration.") }},
			{"time range", access.AuditQuery{From: &from, To: &to}, func(e db.AuditEvent) bool { return !e.At.Before(from) && e.At.Before(to) }},
			{"all at once", access.AuditQuery{Team: w.a.ID, Action: "integration.create", From: &from, To: &to},
				func(e db.AuditEvent) bool {
					return auTeam(e) == w.a.ID && e.Action == "integration.create" && !e.At.Before(from) && e.At.Before(to)
				}},
		}
		for _, tc := range cases {
			want := w.want(tc.keep)
			auDiff(t, tc.name+" (domain)", w.seededOnly(auDomain(t, env, admin, tc.q)), want)
		}
		// The same filters through the query string of the API (team A's token).
		token := env.CreateToken(w.a.ID, true)
		q := url.Values{"action": {"integration.create"}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "limit": {"4"}}
		auDiff(t, "API action+range", auAPI(t, env, token, q), w.want(func(e db.AuditEvent) bool {
			return auTeam(e) == w.a.ID && e.Action == "integration.create" && !e.At.Before(from) && e.At.Before(to)
		}))
		auDiff(t, "API actor label", auAPI(t, env, token, url.Values{"actor": {"bob"}}), nil) // bob's rows are all team B's or none
		// The page's datetime-local inputs.
		c := env.Client()
		c.SignIn("admin@example.com")
		_, body := c.Get("/audit?" + url.Values{"team": {w.b.ID}, "action": {"integration.revoke"}, "from": {"2026-03-01T12:30"}, "to": {"2026-03-01T13:30"}}.Encode())
		auDiff(t, "page filter", w.pageTargets(body), w.targetsOf(w.want(func(e db.AuditEvent) bool {
			return auTeam(e) == w.b.ID && e.Action == "integration.revoke" && !e.At.Before(from) && e.At.Before(to)
		})))
	})
}

func TestAudit_KeysetWalk(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		w := auSeed(t, env, 0)
		// 260 rows of team A, 150 of them at one instant.
		var rows []db.AuditEvent
		for i := range 260 {
			at := auBase.Add(time.Duration(i) * time.Second)
			if i >= 50 && i < 200 {
				at = auBase.Add(time.Hour)
			}
			rows = append(rows, db.AuditEvent{At: at, ActorType: "user", ActorID: w.admin.ID, ActorLabel: "admin@example.com", TeamID: &w.a.ID,
				Action: "node.create", TargetType: "integration", TargetID: uuid.NewString()})
		}
		if err := env.Store.InsertAuditEvents(context.Background(), rows); err != nil {
			t.Fatal(err)
		}
		token := env.CreateToken(w.a.ID, false) // adds a token.create row of team A
		got := auAPI(t, env, token, url.Values{"action": {"node.create"}, "limit": {"7"}})
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("API walk: id %s twice", id)
			}
			seen[id] = true
		}
		if len(got) != 260 {
			t.Fatalf("API walk: %d rows, want 260", len(got))
		}

		// The page, following "Older events" without JavaScript.
		c := env.Client()
		c.SignIn("admin@example.com")
		path, n, pages := "/audit?action=node.create", 0, 0
		targets := map[string]bool{}
		for path != "" {
			resp, body := c.Get(path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", path, resp.StatusCode)
			}
			for _, tg := range w.pageTargets(body) {
				if targets[tg] {
					t.Fatalf("page walk: target %s twice", tg)
				}
				targets[tg] = true
			}
			n += len(auRowRE.FindAllString(body, -1))
			path = ""
			if m := auOlderRE.FindStringSubmatch(body); m != nil {
				path = html.UnescapeString(m[1])
			}
			if pages++; pages > 20 {
				t.Fatal("the page's cursor never ends")
			}
		}
		if n != 260 || len(targets) != 260 || pages != 6 {
			t.Errorf("page walk: %d rows, %d targets in %d pages, want 260 in 6", n, len(targets), pages)
		}
		// The largest page still says whether another follows.
		more := make([]db.AuditEvent, 241) // 501 node.create rows with these
		for i := range more {
			more[i] = rows[i]
			more[i].ID, more[i].TargetID = "", uuid.NewString()
		}
		if err := env.Store.InsertAuditEvents(context.Background(), more); err != nil {
			t.Fatal(err)
		}
		if got := auAPI(t, env, token, url.Values{"action": {"node.create"}, "limit": {"500"}}); len(got) != 501 {
			t.Fatalf("API walk by pages of 500: %d rows, want 501 (the first page must carry a next_cursor)", len(got))
		}
	})
}

func TestAudit_Scope(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		w := auSeed(t, env, 40)
		sc, _ := htSignIn(t, env, "support@example.com")
		_, body := sc.Get("/audit")
		// Team A's rows, plus the support user's own sign-in (and its team
		// A creation rows from the helpers).
		gotTargets := w.pageTargets(body)
		wantTargets := w.targetsOf(w.want(func(e db.AuditEvent) bool { return auTeam(e) == w.a.ID }))
		auDiff(t, "support page", gotTargets, wantTargets)
		if !strings.Contains(body, "user.sign_in") {
			t.Errorf("support page: the user's own sign-in is missing")
		}
		for _, leak := range []string{w.b.ID, "bravo", `audit-action-cell">user.create`, "admin@example.com"} {
			if strings.Contains(body, leak) {
				t.Errorf("support page shows %q, which is not theirs", leak)
			}
		}
		// Another team's filter: an empty page, not an error.
		resp, body := sc.Get("/audit?team=" + w.b.ID)
		if resp.StatusCode != http.StatusOK || !htHasTestID(body, "empty-audit") || auRowRE.MatchString(body) {
			t.Errorf("support, team B filter = %d, empty %v, want 200 and no rows", resp.StatusCode, htHasTestID(body, "empty-audit"))
		}
		resp, body = sc.Get("/audit/export.jsonl?team=" + w.b.ID)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != "" {
			t.Errorf("support export of team B = %d %q, want 200 and nothing", resp.StatusCode, body)
		}
		// The token: only its team, another team's filter matches nothing.
		token := env.CreateToken(w.b.ID, true)
		auDiff(t, "token B", auAPI(t, env, token, url.Values{"action": {"integration."}}), w.want(func(e db.AuditEvent) bool {
			return auTeam(e) == w.b.ID && strings.HasPrefix(e.Action, "integration.")
		}))
		if got := auAPI(t, env, token, url.Values{"team": {w.a.ID}}); len(got) != 0 {
			t.Errorf("token B with team=A: %d rows, want none", len(got))
		}
		// Admin: every row, including those of no team.
		ac, _ := htSignIn(t, env, "admin@example.com")
		_, body = ac.Get("/audit?actor=" + url.QueryEscape(w.actors[1]))
		auDiff(t, "admin page", w.pageTargets(body), w.targetsOf(w.want(func(e db.AuditEvent) bool { return e.ActorID == w.actors[1] })))
		// Anonymous.
		resp, _ = env.Client().Get("/audit")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in") {
			t.Errorf("anonymous /audit = %d %s, want 303 to /sign-in", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = env.Client().Get("/audit/export.csv")
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("anonymous export = %d, want 303", resp.StatusCode)
		}
		resp, m, _ := env.API(http.MethodGet, "/api/v1/audit-events", "", nil)
		if resp.StatusCode != http.StatusUnauthorized || m["error"] != "unauthorized" {
			t.Errorf("API without a token = %d %v, want 401 unauthorized", resp.StatusCode, m)
		}
	})
}

func TestAudit_Exports(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		w := auSeed(t, env, 1200) // more than two export batches
		c := env.Client()
		c.SignIn("admin@example.com")
		filter := url.Values{"action": {"integration."}}
		want := w.want(func(e db.AuditEvent) bool { return strings.HasPrefix(e.Action, "integration.") })

		resp, body := c.Get("/audit/export.csv?" + filter.Encode())
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=") {
			t.Fatalf("CSV export = %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("CSV: %v", err)
		}
		if recs[0][0] != "id" || recs[0][4] != "actor_label" {
			t.Errorf("CSV header = %v", recs[0])
		}
		var ids []string
		for _, r := range recs[1:] {
			ids = append(ids, r[0])
			for i, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("CSV cell %s = %q begins with a formula character", recs[0][i], cell)
				}
			}
		}
		auDiff(t, "CSV rows", ids, want)
		if !strings.Contains(body, `'=HYPERLINK(""http://x"")`) || !strings.Contains(body, "'+cmd|calc") || !strings.Contains(body, "'@SUM(1)") || !strings.Contains(body, "'-2+3") {
			t.Errorf("CSV does not carry the formula-shaped cells with a leading ': %.400s", body)
		}

		resp, body = c.Get("/audit/export.jsonl?" + filter.Encode())
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), ".jsonl") {
			t.Fatalf("JSONL export = %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		ids = nil
		for line := range strings.SplitSeq(strings.TrimSuffix(body, "\n"), "\n") {
			var e struct {
				ID      string         `json:"id"`
				Details map[string]any `json:"details"`
			}
			if err := json.Unmarshal([]byte(line), &e); err != nil || e.Details == nil {
				t.Fatalf("JSONL line %q: %v", line, err)
			}
			ids = append(ids, e.ID)
		}
		auDiff(t, "JSONL rows", ids, want)

		// The API's export is the token's team's filtered set.
		token := env.CreateToken(w.a.ID, true)
		_, _, raw := env.API(http.MethodGet, "/api/v1/audit-events?format=jsonl&action=token.create&limit=1", token, nil)
		if n := strings.Count(raw, "\n"); n != len(w.want(func(e db.AuditEvent) bool { return auTeam(e) == w.a.ID && e.Action == "token.create" }))+1 {
			t.Errorf("API JSONL export: %d lines", n) // +1: the helper's own token.create of team A
		}
	})
}

func TestAudit_HTMX(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		auSeed(t, env, 120)
		c, ck := htSignIn(t, env, "admin@example.com")
		resp, full := c.Get("/audit")
		m := auOlderRE.FindStringSubmatch(full)
		if resp.StatusCode != http.StatusOK || !strings.Contains(full, "<html") || !htHasTestID(full, "nav-audit") || !htHasTestID(full, "audit-filter") || m == nil {
			t.Fatalf("full page = %d, html %v, older link %v", resp.StatusCode, strings.Contains(full, "<html"), m != nil)
		}
		if !strings.Contains(full, `hx-get="`+m[1]+`"`) || !strings.Contains(full, `hx-target="closest tr"`) {
			t.Errorf("the older link is not enhanced with htmx")
		}
		if n := len(auRowRE.FindAllString(full, -1)); n != access.DefaultAuditLimit {
			t.Errorf("first page: %d rows, want %d", n, access.DefaultAuditLimit)
		}
		next := html.UnescapeString(m[1])
		resp, frag := htRaw(t, env, http.MethodGet, next, ck, http.Header{"Hx-Request": {"true"}}, "")
		if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") || strings.Contains(frag, "audit-filter") || !auRowRE.MatchString(frag) {
			t.Fatalf("htmx fragment = %d: %.300s", resp.StatusCode, frag)
		}
		if !strings.HasPrefix(strings.TrimSpace(frag), "<tr") || !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
			t.Errorf("fragment does not start with a row or lacks Vary: %.100s", frag)
		}
		_, plain := c.Get(next)
		if !strings.Contains(plain, "<html") || auRowRE.FindAllString(plain, -1) == nil {
			t.Errorf("the older link without htmx is not a full page")
		}
	})
}

func TestAudit_APIErrors(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("alpha")
		token := env.CreateToken(team.ID, true)
		for _, tc := range []struct{ query, param string }{
			{"from=yesterday", "from"}, {"to=2026-13-01T00:00:00Z", "to"}, {"cursor=bm9wZQ", "cursor"}, {"cursor=!!", "cursor"},
			{"limit=0", "limit"}, {"limit=501", "limit"}, {"limit=ten", "limit"}, {"team=payments", "team"},
			{"format=xml", "format"}, {"from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"},
		} {
			resp, m, raw := env.API(http.MethodGet, "/api/v1/audit-events?"+tc.query, token, nil)
			fields, _ := m["fields"].(map[string]any)
			if resp.StatusCode != http.StatusBadRequest || m["error"] != "invalid_request" || fields[tc.param] == nil || !strings.Contains(m["message"].(string), tc.param) {
				t.Errorf("?%s = %d %s, want 400 invalid_request naming %s", tc.query, resp.StatusCode, raw, tc.param)
			}
		}
		resp, m, _ := env.API(http.MethodGet, "/api/v1/audit-events?limit=500", token, nil)
		if resp.StatusCode != http.StatusOK || m["next_cursor"] != nil {
			t.Errorf("limit=500 = %d %v, want 200 and next_cursor null", resp.StatusCode, m)
		}
		// The page shows a bad filter as a field error, not a crash.
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c := env.Client()
		c.SignIn("admin@example.com")
		resp, body := c.Get("/audit?from=nonsense")
		if resp.StatusCode != http.StatusBadRequest || !htHasTestID(body, "error-from") {
			t.Errorf("page with a bad from = %d, error shown %v", resp.StatusCode, htHasTestID(body, "error-from"))
		}
	})
}

// TestAudit_NoSecrets creates a node key, a 1Password service account and
// Infisical connections with canary secrets, then scans the audit page, the
// API answer and both exports for them.
func TestAudit_NoSecrets(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		token := env.CreateToken(team.ID, false)
		canaries := map[string]string{"API token": token}
		resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": node.ID, "name": "API key", "permissions": []string{"payments.read"}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("node key = %d %s", resp.StatusCode, raw)
		}
		canaries["node secret"] = m["secret"].(string)
		op := newOPToken(t)
		for k, v := range op.canaries() {
			canaries["1password "+k] = v
		}
		opCreate(t, env, token, team.ID, "ops", op.Token)
		canaries["infisical token"] = "leak-infisical-token-c0ffee-audit"
		canaries["infisical pg password"] = "leak-infisical-pg-5eed-audit"
		for _, b := range []struct {
			app  string
			body map[string]any
		}{
			{"1password", map[string]any{"name": "op", "method": "api-token", "credentials": map[string]any{"apiToken": canaries["infisical token"], "instanceUrl": "https://1pass.example.com"}}},
			{"postgres", map[string]any{"name": "pg", "method": "username-and-password", "credentials": map[string]any{"host": "127.0.0.1", "port": 1, "database": "x", "username": "u", "password": canaries["infisical pg password"]}}},
		} {
			if resp, _, raw := env.API(http.MethodPost, "/api/v1/app-connections/"+b.app, token, b.body); resp.StatusCode != http.StatusOK {
				t.Fatalf("infisical %s = %d %s", b.app, resp.StatusCode, raw)
			}
		}
		c := env.Client()
		c.SignIn("admin@example.com")
		var out strings.Builder
		for _, p := range []string{"/audit", "/audit/export.csv", "/audit/export.jsonl"} {
			_, b := c.Get(p)
			out.WriteString(b)
		}
		for _, p := range []string{"/api/v1/audit-events?limit=500", "/api/v1/audit-events?format=csv", "/api/v1/audit-events?format=jsonl"} {
			_, _, b := env.API(http.MethodGet, p, token, nil)
			out.WriteString(b)
		}
		if n := strings.Count(out.String(), "integration.create"); n < 6*3 {
			t.Fatalf("the answers hold %d integration.create rows: the scan would prove nothing", n)
		}
		for name, secret := range canaries {
			if strings.Contains(out.String(), secret) {
				t.Errorf("%s appears in the audit page, API or an export", name)
			}
		}
	})
}
