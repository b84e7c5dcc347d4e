package web_test

// The API tokens page (/tokens): create (shown once), list, revoke, the
// support role's scope, read-only tokens on every JSON family, expiry, and
// the at-most-once-a-minute last_used_at write. Helpers carry the tk prefix.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/access"
	"switchboard/secrets"
	"switchboard/web/webtest"
)

// tkForm is a valid new-token form for team.
func tkForm(teamID, name, expires, accessChoice string) url.Values {
	return url.Values{"team_id": {teamID}, "name": {name}, "expires": {expires}, "access": {accessChoice}}
}

// tkCreate creates a token through the form and returns its plaintext from
// the reveal screen, checking that the screen shows it only once.
func tkCreate(t *testing.T, c *webtest.Client, form url.Values) string {
	t.Helper()
	resp, body := c.Post("/tokens", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !htRevealPathRE.MatchString(loc) {
		t.Fatalf("POST /tokens = %d %q, want 303 /reveal/{id}; errors %v", resp.StatusCode, loc, htErrorFields(body))
	}
	resp, body = c.Get(loc)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token reveal = %d Cache-Control %q, want 200 no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	tok, _ := htText(body, "reveal-token")
	if !secrets.CheckToken(access.TokenPrefix, tok) {
		t.Fatalf("revealed token %q is not a valid sbt_ token", tok)
	}
	if !strings.Contains(body, `href="/tokens?team=`+form.Get("team_id")+`"`) {
		t.Errorf("the reveal screen does not lead back to the team's tokens")
	}
	if resp, body := c.Get(loc); resp.StatusCode != http.StatusGone || strings.Contains(body, tok) {
		t.Errorf("second reveal = %d (token shown: %v), want 410 without it", resp.StatusCode, strings.Contains(body, tok))
	}
	return tok
}

// tkRow returns the table row of the token whose prefix starts tok, or "".
func tkRow(body, tok string) string {
	for _, row := range regexp.MustCompile(`(?s)<tr data-testid="token-row".*?</tr>`).FindAllString(body, -1) {
		if strings.Contains(row, tok[:len(access.TokenPrefix)+6]+"…") {
			return row
		}
	}
	return ""
}

// tkCell returns the text of the cell with data-testid id in row.
func tkCell(row, id string) string {
	s, _ := htText(row, id)
	return s
}

// tkAudit counts the audit rows of action on target.
func tkAudit(t *testing.T, env *webtest.Env, action, targetID string) int {
	t.Helper()
	var n int
	if err := env.Store.SQLX().GetContext(context.Background(), &n, env.Store.SQLX().Rebind(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND target_id = ?`), action, targetID); err != nil {
		t.Fatalf("count audit: %v", err)
	}
	return n
}

// tkTokenID returns the id of the token with this plaintext.
func tkTokenID(t *testing.T, env *webtest.Env, tok string) string {
	t.Helper()
	row, err := env.Store.APITokenByHash(context.Background(), env.Keys.MACCandidates("api-token", []byte(tok)))
	if err != nil {
		t.Fatalf("token by hash: %v", err)
	}
	return row.ID
}

// tkClock is a settable clock shared by the store and the access service.
type tkClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *tkClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *tkClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func tkFakeClock(env *webtest.Env) *tkClock {
	c := &tkClock{now: time.Now().UTC().Truncate(time.Second)}
	env.Store.Now = c.Now
	env.App.Access.Now = c.Now
	return c
}

func TestTokensPage_CreateListRevoke(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")

		resp, body := c.Get("/tokens")
		if resp.StatusCode != http.StatusOK || !htHasTestID(body, "token-form") || !htHasTestID(body, "empty-tokens") {
			t.Fatalf("GET /tokens = %d, want 200 with the form and no tokens yet", resp.StatusCode)
		}
		if !htHasTestID(body, "nav-tokens") {
			t.Errorf("the navigation has no API tokens link")
		}
		for _, e := range access.TokenExpiries {
			if !htHasOption(body, e.Value) {
				t.Errorf("the expiry select lacks %q", e.Value)
			}
		}
		if !htSelected(body, access.DefaultTokenExpiry) {
			t.Errorf("the expiry select does not preselect %s", access.DefaultTokenExpiry)
		}

		before := htCount(t, env, "api_tokens")
		tok := tkCreate(t, c, tkForm(team.ID, "deploy", "30d", "read-write"))
		id := tkTokenID(t, env, tok)
		if n := htCount(t, env, "api_tokens"); n != before+1 {
			t.Errorf("api_tokens = %d, want %d", n, before+1)
		}
		if resp, _, raw := env.API(http.MethodGet, "/api/v1/integrations", tok, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/integrations with the new token = %d %s, want 200", resp.StatusCode, raw)
		}

		t.Run("list", func(t *testing.T) {
			_, body := c.Get("/tokens?team=" + team.ID)
			if strings.Contains(body, tok) {
				t.Fatalf("the list shows the whole token")
			}
			row := tkRow(body, tok)
			if row == "" {
				t.Fatalf("the list has no row with prefix %s…", tok[:10])
			}
			for cell, want := range map[string]string{"token-name": "deploy", "token-creator": "admin@example.com", "token-access": "read-write", "token-status": "active"} {
				if got := tkCell(row, cell); got != want {
					t.Errorf("%s = %q, want %q", cell, got, want)
				}
			}
			if got := tkCell(row, "token-last-used"); got == "never" || got == "" {
				t.Errorf("last used = %q after a request, want a time", got)
			}
			exp, err := time.Parse("2006-01-02 15:04 UTC", tkCell(row, "token-expires"))
			if err != nil || exp.Sub(time.Now()) < 29*24*time.Hour || exp.Sub(time.Now()) > 30*24*time.Hour+time.Minute {
				t.Errorf("expires = %q (%v), want 30 days from now", tkCell(row, "token-expires"), err)
			}
		})

		t.Run("invalid", func(t *testing.T) {
			before := htCount(t, env, "api_tokens")
			for _, tc := range []struct {
				name string
				form url.Values
				want []string
			}{
				{"empty name", tkForm(team.ID, " ", "30d", "read-only"), []string{"name"}},
				{"too long a name", tkForm(team.ID, strings.Repeat("x", 101), "30d", "read-only"), []string{"name"}},
				{"duplicate live name", tkForm(team.ID, "deploy", "30d", "read-only"), []string{"name"}},
				{"unknown expiry", tkForm(team.ID, "ci", "2w", "read-only"), []string{"expires"}},
				{"no expiry", url.Values{"team_id": {team.ID}, "name": {"ci"}, "access": {"read-only"}}, []string{"expires"}},
				{"unknown access", tkForm(team.ID, "ci", "30d", "admin"), []string{"access"}},
				{"no access", url.Values{"team_id": {team.ID}, "name": {"ci"}, "expires": {"30d"}}, []string{"access"}},
				{"unknown team", tkForm("00000000-0000-4000-8000-000000000000", "ci", "30d", "read-only"), []string{"team_id"}},
				{"no team", tkForm("", "ci", "30d", "read-only"), []string{"team_id"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := c.Post("/tokens", tc.form)
					if resp.StatusCode != http.StatusUnprocessableEntity {
						t.Fatalf("status = %d, want 422", resp.StatusCode)
					}
					if got := htErrorFields(body); !slices.Equal(got, tc.want) {
						t.Errorf("field errors = %v, want %v", got, tc.want)
					}
					if v, _ := htAttr(htInput(body, "name", ""), "value"); v != tc.form.Get("name") {
						t.Errorf("name input = %q, want %q kept", v, tc.form.Get("name"))
					}
				})
			}
			if n := htCount(t, env, "api_tokens"); n != before {
				t.Errorf("refused creates changed api_tokens: %d, want %d", n, before)
			}
		})

		t.Run("revoke", func(t *testing.T) {
			resp, _ := c.Post("/tokens/"+id+"/revoke", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tokens?team="+team.ID {
				t.Fatalf("revoke = %d %q, want 303 /tokens?team=%s", resp.StatusCode, resp.Header.Get("Location"), team.ID)
			}
			if resp, m, raw := env.API(http.MethodGet, "/api/v1/integrations", tok, nil); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET with the revoked token = %d %s, want 401", resp.StatusCode, raw)
			} else {
				htAPIError(t, resp, m, raw, http.StatusUnauthorized, "unauthorized")
			}
			_, body := c.Get("/tokens?team=" + team.ID)
			if f, _ := htText(body, "flash"); !strings.Contains(f, "revoked") {
				t.Errorf("flash = %q, want one saying the token was revoked", f)
			}
			row := tkRow(body, tok)
			if got := tkCell(row, "token-status"); got != "revoked" {
				t.Errorf("status = %q, want revoked", got)
			}
			if htHasTestID(row, "revoke-token") {
				t.Errorf("a revoked token still offers Revoke")
			}
			// Twice: nothing changes, no second audit row.
			resp, _ = c.Post("/tokens/"+id+"/revoke", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("second revoke = %d, want 303", resp.StatusCode)
			}
			if _, body := c.Get("/tokens?team=" + team.ID); !strings.Contains(body, "already revoked") {
				t.Errorf("the second revoke's flash does not say it was already revoked")
			}
			// The name is free again once the token is revoked.
			tkCreate(t, c, tkForm(team.ID, "deploy", "never", "read-only"))
			for path, want := range map[string]int{"/tokens/00000000-0000-4000-8000-000000000000/revoke": 404, "/tokens/not-a-uuid/revoke": 404} {
				if resp, _ := c.Post(path, nil); resp.StatusCode != want {
					t.Errorf("POST %s = %d, want %d", path, resp.StatusCode, want)
				}
			}
		})

		t.Run("audit", func(t *testing.T) {
			if n := tkAudit(t, env, "token.create", id); n != 1 {
				t.Errorf("token.create rows = %d, want 1", n)
			}
			if n := tkAudit(t, env, "token.revoke", id); n != 1 {
				t.Errorf("token.revoke rows = %d, want 1 (revoked twice)", n)
			}
			dump := dumpDB(t, env.Store)
			if !strings.Contains(dump, "token.revoke") {
				t.Fatalf("the dump has no token.revoke row: the scan would prove nothing")
			}
			if strings.Contains(dump, tok) || strings.Contains(dump, tok[len(access.TokenPrefix):]) {
				t.Errorf("the token appears in the database")
			}
			if strings.Contains(env.Logs.String(), tok[len(access.TokenPrefix):]) {
				t.Errorf("the token appears in the server log")
			}
		})
	})
}

func TestTokensAPI_ReadOnly(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		ro := tkCreate(t, c, tkForm(team.ID, "reader", "90d", "read-only"))
		rw := tkCreate(t, c, tkForm(team.ID, "writer", "90d", "read-write"))
		if row := tkRow(func() string { _, b := c.Get("/tokens?team=" + team.ID); return b }(), ro); tkCell(row, "token-access") != "read-only" {
			t.Errorf("the list does not show the reader as read-only")
		}
		before := htCount(t, env, "integrations")

		t.Run("node keys", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", ro, map[string]any{"node_id": node.ID, "name": "ro", "permissions": []string{"payments.read"}})
			htAPIError(t, resp, m, raw, http.StatusForbidden, "forbidden")
			if resp, _, raw := env.API(http.MethodGet, "/api/v1/integrations", ro, nil); resp.StatusCode != http.StatusOK {
				t.Errorf("read-only GET = %d %s, want 200", resp.StatusCode, raw)
			}
		})
		t.Run("anchor", func(t *testing.T) {
			resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", opAnchorKey, ro, opBody("Nope", newOPToken(t).Token))
			opAnchorError(t, resp, m, raw, http.StatusForbidden)
			if resp, _, raw := opAPI(t, env, http.MethodGet, "/v1/integrations", opAnchorKey, ro, ""); resp.StatusCode != http.StatusOK {
				t.Errorf("read-only GET = %d %s, want 200", resp.StatusCode, raw)
			}
		})
		t.Run("infisical", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", ro, infSeedBody("tok"))
			infErr(t, resp, m, raw, http.StatusForbidden, "PermissionDenied")
			if resp, _, raw := env.API(http.MethodGet, "/api/v1/app-connections", ro, nil); resp.StatusCode != http.StatusOK {
				t.Errorf("read-only GET = %d %s, want 200", resp.StatusCode, raw)
			}
		})
		t.Run("launchdarkly", func(t *testing.T) {
			body := map[string]any{"name": "Audit to Datadog", "configValues": map[string]any{"apiKey": "dd-0123456789abcdef"}}
			resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"datadog", ro, true, body)
			ldErr(t, resp, m, raw, http.StatusForbidden, "forbidden")
			if resp, _, raw := ldCall(t, env, http.MethodGet, ldKeys+"datadog", ro, true, nil); resp.StatusCode != http.StatusOK {
				t.Errorf("read-only GET = %d %s, want 200", resp.StatusCode, raw)
			}
		})
		if n := htCount(t, env, "integrations"); n != before {
			t.Errorf("integrations = %d after read-only writes, want %d", n, before)
		}
		// The control: the read-write token of the same form writes.
		if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations", rw, map[string]any{"node_id": node.ID, "name": "rw", "permissions": []string{"payments.read"}}); resp.StatusCode != http.StatusCreated {
			t.Errorf("read-write POST = %d %s, want 201", resp.StatusCode, raw)
		}
	})
}

func TestTokensPage_Roles(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		env.CreateUser("lonely@example.com", sb.RoleSupport)
		admin, _ := htSignIn(t, env, "admin@example.com")
		tokA := tkCreate(t, admin, tkForm(a.ID, "payments-deploy", "30d", "read-write"))
		tokB := tkCreate(t, admin, tkForm(b.ID, "ledger-deploy", "30d", "read-write"))
		idB := tkTokenID(t, env, tokB)
		sup, _ := htSignIn(t, env, "support@example.com")

		t.Run("support sees own team only", func(t *testing.T) {
			for _, path := range []string{"/tokens", "/tokens?team=" + a.ID} {
				resp, body := sup.Get(path)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d, want 200", path, resp.StatusCode)
				}
				if tkRow(body, tokA) == "" {
					t.Errorf("GET %s does not list team A's token", path)
				}
				for _, s := range []string{b.ID, "Ledger", "ledger-deploy", tokB[:10]} {
					if strings.Contains(body, s) {
						t.Errorf("GET %s shows %q of team B", path, s)
					}
				}
				if !htHasTestID(body, "nav-tokens") || strings.Contains(body, `href="/teams"`) {
					t.Errorf("support's navigation: API tokens %v, Teams %v; want only API tokens", htHasTestID(body, "nav-tokens"), strings.Contains(body, `href="/teams"`))
				}
			}
			for _, path := range []string{"/tokens?team=" + b.ID, "/tokens?team=not-a-uuid"} {
				resp, body := sup.Get(path)
				if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "ledger-deploy") || strings.Contains(body, tokB[:10]) {
					t.Errorf("GET %s = %d (shows B's token: %v), want 404 without it", path, resp.StatusCode, strings.Contains(body, "ledger-deploy"))
				}
			}
			sup.Header.Set("HX-Request", "true")
			resp, body := sup.Get("/tokens?team=" + b.ID)
			sup.Header.Del("HX-Request")
			if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "ledger-deploy") {
				t.Errorf("htmx GET of B's tokens = %d, want 404 without them", resp.StatusCode)
			}
		})

		t.Run("htmx fragment", func(t *testing.T) {
			sup.Header.Set("HX-Request", "true")
			defer sup.Header.Del("HX-Request")
			resp, body := sup.Get("/tokens?team=" + a.ID)
			if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !htHasTestID(body, "tokens-panel") {
				t.Errorf("htmx GET = %d (whole page: %v), want 200 with the panel only", resp.StatusCode, strings.Contains(body, "<html"))
			}
			if !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request", resp.Header.Get("Vary"))
			}
		})

		t.Run("support may not touch team B", func(t *testing.T) {
			before := htCounts(t, env)
			resp, body := sup.Post("/tokens/"+idB+"/revoke", nil)
			if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "ledger-deploy") {
				t.Errorf("revoke B's token = %d, want 404 without its name", resp.StatusCode)
			}
			resp, body = sup.Post("/tokens", tkForm(b.ID, "sneaky", "30d", "read-write"))
			if resp.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(htErrorFields(body), []string{"team_id"}) {
				t.Errorf("create in B = %d %v, want 422 [team_id]", resp.StatusCode, htErrorFields(body))
			}
			for _, s := range []string{"Ledger", "ledger-deploy", tokB[:10]} {
				if strings.Contains(body, s) {
					t.Errorf("the 422 page shows %q of team B", s)
				}
			}
			if after := htCounts(t, env); !mapsEqual(before, after) {
				t.Errorf("refused posts changed the database: before %v, after %v", before, after)
			}
			if resp, _, raw := env.API(http.MethodGet, "/api/v1/integrations", tokB, nil); resp.StatusCode != http.StatusOK {
				t.Errorf("B's token after support's attempt = %d %s, want 200", resp.StatusCode, raw)
			}
		})

		t.Run("support manages own team", func(t *testing.T) {
			tok := tkCreate(t, sup, tkForm(a.ID, "support-script", "1y", "read-only"))
			_, body := sup.Get("/tokens?team=" + a.ID)
			if got := tkCell(tkRow(body, tok), "token-creator"); got != "support@example.com" {
				t.Errorf("creator = %q, want support@example.com", got)
			}
			resp, _ := sup.Post("/tokens/"+tkTokenID(t, env, tok)+"/revoke", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("support revoking own team's token = %d, want 303", resp.StatusCode)
			}
			resp, _ = sup.Post("/tokens/"+tkTokenID(t, env, tokA)+"/revoke", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("support revoking the admin's token of its team = %d, want 303", resp.StatusCode)
			}
			if resp, _, _ := env.API(http.MethodGet, "/api/v1/integrations", tokA, nil); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("revoked token = %d, want 401", resp.StatusCode)
			}
		})

		t.Run("admin sees every team", func(t *testing.T) {
			_, body := admin.Get("/tokens")
			for _, id := range []string{a.ID, b.ID} {
				if !htHasOption(body, id) {
					t.Errorf("the team picker lacks %s", id)
				}
			}
			resp, body := admin.Get("/tokens?team=" + b.ID)
			if resp.StatusCode != http.StatusOK || tkRow(body, tokB) == "" {
				t.Errorf("admin GET B's tokens = %d, want 200 with its token", resp.StatusCode)
			}
		})

		t.Run("support without a team", func(t *testing.T) {
			lonely, _ := htSignIn(t, env, "lonely@example.com")
			resp, body := lonely.Get("/tokens")
			if resp.StatusCode != http.StatusOK || !htHasTestID(body, "empty-teams") || htHasTestID(body, "token-form") {
				t.Errorf("GET /tokens without a team = %d, want 200 with the empty state and no form", resp.StatusCode)
			}
		})

		t.Run("anonymous", func(t *testing.T) {
			anon := env.Client()
			resp, _ := anon.Get("/tokens")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in") {
				t.Errorf("anonymous GET /tokens = %d %q, want 303 /sign-in", resp.StatusCode, resp.Header.Get("Location"))
			}
			before := htCounts(t, env)
			for _, p := range []struct {
				path string
				form url.Values
			}{{"/tokens", tkForm(a.ID, "anon", "30d", "read-write")}, {"/tokens/" + idB + "/revoke", nil}} {
				resp, _ := anon.Post(p.path, p.form)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
					t.Errorf("anonymous POST %s = %d %q, want 303 /sign-in", p.path, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			if after := htCounts(t, env); !mapsEqual(before, after) {
				t.Errorf("anonymous posts changed the database: before %v, after %v", before, after)
			}
		})
	})
}

func TestTokensAPI_Expired(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		clock := tkFakeClock(env)
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		tok := tkCreate(t, c, tkForm(team.ID, "short", "30d", "read-write"))
		start := clock.Now()
		for _, tc := range []struct {
			after time.Duration
			want  int
		}{{0, http.StatusOK}, {30*24*time.Hour - time.Second, http.StatusOK}, {30 * 24 * time.Hour, http.StatusUnauthorized}, {31 * 24 * time.Hour, http.StatusUnauthorized}} {
			clock.Set(start.Add(tc.after))
			if resp, _, raw := env.API(http.MethodGet, "/api/v1/integrations", tok, nil); resp.StatusCode != tc.want {
				t.Errorf("GET %v after creation = %d %s, want %d", tc.after, resp.StatusCode, raw, tc.want)
			}
		}
		// The sign-in session lasts 12 hours at most: sign in again on the new day.
		c, _ = htSignIn(t, env, "admin@example.com")
		_, body := c.Get("/tokens?team=" + team.ID)
		if got := tkCell(tkRow(body, tok), "token-status"); got != "expired" {
			t.Errorf("status = %q, want expired", got)
		}
	})
}

// TestTokensAPI_LastUsedAt counts the writes of last_used_at: the service
// logs each write it made, and the column shows which request wrote.
func TestTokensAPI_LastUsedAt(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		clock := tkFakeClock(env)
		team := env.CreateTeam("payments")
		tok, row, err := env.App.Access.CreateToken(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, access.TokenInput{TeamID: team.ID, Name: "busy"})
		if err != nil {
			t.Fatal(err)
		}
		writes := func() int {
			return strings.Count(env.Logs.String(), `msg="token use recorded" token_id=`+row.ID)
		}
		lastUsed := func() *time.Time {
			t.Helper()
			got, err := env.Store.APITokenByID(context.Background(), row.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.LastUsedAt
		}
		get := func() {
			t.Helper()
			if resp, _, raw := env.API(http.MethodGet, "/api/v1/integrations", tok, nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("GET = %d %s, want 200", resp.StatusCode, raw)
			}
		}
		if lastUsed() != nil || writes() != 0 {
			t.Fatalf("a new token has last_used_at %v and %d writes, want none", lastUsed(), writes())
		}
		t0 := clock.Now()

		// 20 requests within the minute, one every 2 s: one write, at the first.
		for i := 0; i < 20; i++ {
			clock.Set(t0.Add(time.Duration(2*i) * time.Second))
			get()
		}
		if got := lastUsed(); got == nil || !got.Equal(t0) {
			t.Errorf("last_used_at = %v, want the first request's %v", got, t0)
		}
		if n := writes(); n != 1 {
			t.Errorf("writes = %d after 20 requests within a minute, want 1", n)
		}

		// A minute on, 20 concurrent requests: one more write between them.
		t1 := t0.Add(time.Minute + time.Second)
		clock.Set(t1)
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, _, err := htRawErr(env, http.MethodGet, "/api/v1/integrations", nil, http.Header{"Authorization": {"Bearer " + tok}}, "")
				if err == nil && resp.StatusCode != http.StatusOK {
					err = http.ErrNotSupported
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent GET: %v", err)
			}
		}
		if got := lastUsed(); got == nil || !got.Equal(t1) {
			t.Errorf("last_used_at = %v, want %v", got, t1)
		}
		if n := writes(); n != 2 {
			t.Errorf("writes = %d after 20 concurrent requests a minute later, want 2", n)
		}

		// Exactly a minute after the last write is not older than a minute.
		clock.Set(t1.Add(time.Minute))
		get()
		if n := writes(); n != 2 {
			t.Errorf("writes = %d at exactly one minute, want still 2", n)
		}
		t2 := t1.Add(time.Minute + time.Microsecond)
		clock.Set(t2)
		get()
		if got := lastUsed(); got == nil || !got.Equal(t2) || writes() != 3 {
			t.Errorf("last_used_at = %v with %d writes, want %v and 3", got, writes(), t2)
		}

		// A second instance that read the row before the first one wrote
		// still writes nothing: the UPDATE's guard refuses it.
		if wrote, err := env.Store.TouchAPIToken(context.Background(), row.ID, t2.Add(30*time.Second)); err != nil || wrote {
			t.Errorf("a stale TouchAPIToken within the minute = %v, %v; want no write", wrote, err)
		}
	})
}
