package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/db/dbtest"
	"switchboard/syncs/targets/standin"
	"switchboard/web/webtest"
)

// TestUISyncs_Flow: in the browser pages (no JavaScript), save secrets,
// import a .env (a bad line writes nothing and is named by number), create
// an auth and an integration, see it synced, change a secret, and see the
// new value at the stand-in. No page ever shows a value.
func TestUISyncs_Flow(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.NewSyncs(t, d)
			team := env.CreateTeam("payments")
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")
			vault := &standin.Vault{RoleID: "role-ui", SecretID: "secret-id-ui-0001"}
			srv := httptest.NewServer(vault)
			defer srv.Close()
			var pages strings.Builder
			get := func(p string) string {
				resp, body := c.Get(p)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d", p, resp.StatusCode)
				}
				pages.WriteString(body)
				return body
			}
			base := url.Values{"team": {team.ID}, "env": {"dev"}, "path": {"/"}}
			with := func(kv ...string) url.Values {
				v := url.Values{}
				for k, vs := range base {
					v[k] = vs
				}
				for i := 0; i < len(kv); i += 2 {
					v.Set(kv[i], kv[i+1])
				}
				return v
			}
			if resp, _ := c.Post("/secrets", with("key", "DB_PASSWORD", "value", "ui-value-one-0001")); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("save secret = %d", resp.StatusCode)
			}
			resp, body := c.Post("/secrets/import", with("dotenv", "GOOD=ui-import-0002\nnot a line\n"))
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "line 2") {
				t.Fatalf("bad import = %d, want 422 naming line 2", resp.StatusCode)
			}
			if strings.Contains(get("/secrets?team="+team.ID+"&env=dev"), "GOOD") {
				t.Errorf("a refused import wrote GOOD")
			}
			if list := get("/secret-syncs?team=" + team.ID); !strings.Contains(list, `data-testid="empty-syncs"`) || strings.Contains(list, `data-testid="syncs-table"`) {
				t.Errorf("the syncs page of a team without syncs shows no empty state (or an empty table)")
			}
			if resp, _ := c.Post("/secret-syncs/auths", url.Values{"team": {team.ID}, "integration": {"hashicorp-vault"}, "url": {srv.URL}, "access_id": {"role-ui"}, "access_token": {"secret-id-ui-0001"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("create auth = %d", resp.StatusCode)
			}
			authID := regexp.MustCompile(`<option value="([0-9a-f-]{36})"[^>]*>HashiCorp Vault`).FindStringSubmatch(get("/secret-syncs/new?team=" + team.ID))
			if authID == nil {
				t.Fatal("the auth is not offered in the integration form")
			}
			resp, _ = c.Post("/secret-syncs", url.Values{"team": {team.ID}, "auth": {authID[1]}, "env": {"dev"}, "path": {"/"}, "app": {"kv"}, "targetPath": {"payments"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("create integration = %d", resp.StatusCode)
			}
			syncPath := resp.Header.Get("Location")
			drainSyncs(t, env)
			if list := get("/secret-syncs?team=" + team.ID); strings.Contains(list, `data-testid="empty-syncs"`) || !strings.Contains(list, `data-testid="sync-row"`) {
				t.Errorf("the syncs page with a sync shows the empty state or no row")
			}
			if !strings.Contains(get(syncPath), `data-testid="sync-state">synced<`) {
				t.Errorf("the integration page does not show synced")
			}
			if got := vault.Data("kv/payments")["DB_PASSWORD"]; got != "ui-value-one-0001" {
				t.Errorf("Vault DB_PASSWORD = %q", got)
			}
			c.Post("/secrets", with("key", "DB_PASSWORD", "value", "ui-value-two-0003"))
			drainSyncs(t, env)
			if got := vault.Data("kv/payments")["DB_PASSWORD"]; got != "ui-value-two-0003" {
				t.Errorf("after the change Vault DB_PASSWORD = %q", got)
			}
			if !strings.Contains(get("/secrets?team="+team.ID+"&env=dev"), `data-testid="secret-version">2<`) {
				t.Errorf("the secret's version is not 2 on the page")
			}
			for _, v := range []string{"ui-value-one-0001", "ui-value-two-0003", "secret-id-ui-0001"} {
				if strings.Contains(pages.String(), v) {
					t.Errorf("a page shows %q", v)
				}
			}
		})
	}
}
