package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// TestAudit_EveryActionOnceNoSecret walks an organisation's life through
// the browser and the JSON families: sign-ins (one refused), users invited,
// changed, disabled, enabled, given a new set-password link, a password
// set and changed, every session ended; a team, a node and a member; an
// API token created and revoked; an integration of every provider
// created, edited, rotated, disabled, enabled, revoked and deleted; reveals
// shown. Each step must add exactly one audit row of its action. Then every
// secret made on the way (passwords, set-password links, tokens, node key
// secrets, supplied credentials, LaunchDarkly secret values) is looked for
// in the audit table, in both exports of the whole log and in the server
// log, and must be in none. On SQLite and PostgreSQL.
func TestAudit_EveryActionOnceNoSecret(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		var secrets []string
		keep := func(s ...string) { secrets = append(secrets, s...) }
		// step runs fn and wants exactly one new row of action.
		step := func(action string, fn func()) {
			t.Helper()
			before := usAudit(t, env, action)
			fn()
			if got := usAudit(t, env, action) - before; got != 1 {
				t.Errorf("%s: %d audit rows, want exactly 1", action, got)
			}
		}
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		var admin *webtest.Client
		step("user.sign_in", func() { admin, _ = htSignIn(t, env, "admin@example.com") })
		step("user.sign_in_failed", func() {
			c := env.Client()
			c.Get("/sign-in")
			c.Post("/sign-in", url.Values{"email": {"admin@example.com"}, "password": {"not the password, wrong"}})
		})
		keep(webtest.Password, "not the password, wrong")

		// Teams, nodes, members.
		var teamID string
		step("team.create", func() {
			admin.Post("/teams", url.Values{"slug": {"payments"}, "name": {"Payments"}})
			team, err := env.App.Access.TeamBySlug(t.Context(), "payments")
			if err != nil {
				t.Fatal(err)
			}
			teamID = team.ID
		})
		step("node.create", func() { admin.Post("/teams/"+teamID+"/nodes", url.Values{"name": {"edge-1"}}) })

		// Users: invite, set the password, change, disable, enable, a new link.
		var link string
		step("user.invite", func() { link = usInvite(t, admin, "support@example.com", "support", teamID) })
		keep(strings.TrimPrefix(link, "/set-password/"))
		first := "support first password"
		step("user.password_set", func() { usSetPassword(t, env, link, first) })
		keep(first)
		u, err := env.Store.UserByEmail(t.Context(), "support@example.com")
		if err != nil {
			t.Fatal(err)
		}
		step("user.update", func() { admin.Post("/users/"+u.ID, url.Values{"role": {"support"}, "teams": {teamID}, "name": {""}}) })
		step("user.disable", func() { admin.Post("/users/"+u.ID+"/disable", nil) })
		step("user.enable", func() { admin.Post("/users/"+u.ID+"/enable", nil) })
		step("user.password_link", func() {
			resp, _ := admin.Post("/users/"+u.ID+"/password-link", nil)
			keep(strings.TrimPrefix(usReveal(t, admin, resp.Header.Get("Location")), "/set-password/"))
		})
		step("team.member_add", func() {
			env.CreateUser("late@example.com", sb.RoleSupport)
			admin.Post("/teams/"+teamID+"/members", url.Values{"email": {"late@example.com"}})
		})

		// The support user's own account.
		second := "support second password"
		var support *webtest.Client
		step("user.password_change", func() {
			support = env.Client()
			support.Get("/sign-in")
			if resp, _ := support.Post("/sign-in", url.Values{"email": {"support@example.com"}, "password": {first}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("support sign-in = %d", resp.StatusCode)
			}
			support.Get("/account")
			support.Post("/account/password", url.Values{"current": {first}, "password": {second}, "confirm": {second}})
		})
		keep(second)
		step("user.sign_out", func() {
			c, _ := htSignIn(t, env, "admin@example.com")
			c.Post("/sign-out", nil)
		})
		step("user.sign_out_everywhere", func() { support.Post("/sign-out-everywhere", nil) })

		// An API token, through the tokens page.
		var token string
		step("token.create", func() { token = tkCreate(t, admin, tkForm(teamID, "deploy", "30d", "read-write")) })
		keep(token)

		// An integration of every provider, through its own family.
		ids := lcFixtures(t, env, teamID, token) // four creates, one row each
		if n := usAudit(t, env, "integration.create"); n != 4 {
			t.Errorf("%d integration.create rows for four integrations, want 4", n)
		}
		keep("connect-token-0123456789", "dd-0123456789abcdef")
		op := newOPToken(t)
		keep(op.Token)
		step("integration.rotate", func() {
			resp, _, raw := opAPI(t, env, http.MethodPost, "/v1/integrations/"+ids[integrations.ProviderOnePassword]+"/rotate", opBearer, token,
				`{"credentials":{"type":"serviceAccount","data":{"serviceAccount":"`+op.Token+`"}}}`)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("rotate: %d %s", resp.StatusCode, raw)
			}
		})
		step("integration.update", func() {
			admin.Post("/integrations/"+ids[integrations.ProviderOnePassword]+"/edit", url.Values{"name": {"Vault reader (renamed)"}})
		})
		var nodeSecret string
		step("integration.rotate", func() {
			_, m, _ := env.API(http.MethodPost, "/api/v1/integrations/"+ids[integrations.ProviderNodeKey]+"/rotate", token, nil)
			nodeSecret, _ = m["secret"].(string)
			ids[integrations.ProviderNodeKey], _ = m["id"].(string)
		})
		keep(nodeSecret)
		ldSecret := "dd-patched-" + uuid.NewString()
		keep(ldSecret)
		step("integration.rotate", func() {
			ldCall(t, env, http.MethodPatch, "/api/v2/integration-configurations/"+ids[integrations.ProviderLaunchDarkly], token, true,
				[]map[string]any{{"op": "replace", "path": "/configValues/apiKey", "value": ldSecret}})
		})
		for _, id := range ids {
			step("integration.disable", func() { admin.Post("/integrations/"+id+"/disable", nil) })
			step("integration.enable", func() { admin.Post("/integrations/"+id+"/enable", nil) })
		}
		step("integration.test", func() {
			admin.Post("/integrations/"+ids[integrations.ProviderInfisical]+"/test", nil)
		})
		step("integration.revoke", func() { admin.Post("/integrations/"+ids[integrations.ProviderNodeKey]+"/revoke", nil) })
		for _, id := range ids {
			step("integration.delete", func() { admin.Post("/integrations/"+id+"/delete", deleteForm(t, env, id)) })
		}
		// A reveal shown from the browser.
		step("reveal.show", func() {
			resp, _ := admin.Post("/integrations/new/1password", url.Values{"team_id": {teamID}, "name": {"Shown once"}, "token": {newOPToken(t).Token}})
			admin.Get(resp.Header.Get("Location"))
		})
		step("token.revoke", func() {
			admin.Post("/tokens/"+tkTokenID(t, env, token)+"/revoke", nil)
		})

		// The scan: the audit table, both exports of the whole log, the log.
		audit := dumpAuditTable(t, env)
		_, csv := admin.Get("/audit/export.csv")
		_, jsonl := admin.Get("/audit/export.jsonl")
		for name, text := range map[string]string{"CSV export": csv, "JSON Lines export": jsonl} {
			if !strings.Contains(text, "integration.rotate") || !strings.Contains(text, "user.password_set") {
				t.Fatalf("the %s lacks the actions of this test: the scan would prove nothing", name)
			}
		}
		logs := env.Logs.String()
		for _, s := range secrets {
			if s == "" {
				t.Fatalf("a secret of the walk is empty: a step failed to make it")
			}
			for where, text := range map[string]string{"the audit table": audit, "the CSV export": csv, "the JSON Lines export": jsonl, "the server log": logs} {
				if strings.Contains(text, s) {
					t.Errorf("%s holds a secret (%s)", where, redact(s))
				}
			}
		}
		// And the audit rows of secrets hold none of their pieces: a 1Password
		// token's own canaries (its secret key, its payload) too.
		for part, c := range op.canaries() {
			if strings.Contains(audit, c) || strings.Contains(csv, c) {
				t.Errorf("the audit log holds the 1Password token's %s", part)
			}
		}
		if regexp.MustCompile(`apexs_[0-9A-Za-z]{20,}`).MatchString(audit + csv + jsonl) {
			t.Errorf("the audit log holds a node key secret")
		}
	})
}

// dumpAuditTable renders every audit row as text.
func dumpAuditTable(t *testing.T, env *webtest.Env) string {
	t.Helper()
	var rows []string
	if err := env.Store.SQLX().Select(&rows, `SELECT actor_label || ' ' || action || ' ' || target_id || ' ' || user_agent || ' ' || CAST(details AS TEXT) FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 30 {
		t.Fatalf("only %d audit rows: the walk did not run", len(rows))
	}
	return strings.Join(rows, "\n")
}
