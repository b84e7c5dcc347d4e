package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/integrations"
	"switchboard/syncs/targets/standin"
	"switchboard/web/webtest"
)

// uploadDotenv posts /secrets/import as the browser does with a file
// chosen: multipart, the file in dotenv_file.
func uploadDotenv(t *testing.T, c *webtest.Client, team, content string) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"_csrf": c.CSRF, "team": team, "env": "dev", "path": "/", "dotenv": ""} {
		w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile("dotenv_file", "prod.env")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	w.Close()
	return c.Do(http.MethodPost, "/secrets/import", &buf, w.FormDataContentType())
}

// TestUISyncs_Forms: the browser side of the family without JavaScript:
// the chooser's card, the new-integration form whose fields follow the
// auth's target (reload=1 re-renders it with them, htmx's GET the same),
// errors next to the field, .env upload (size-limited, all or nothing),
// environments added, renamed and deleted, deletes through the shared
// confirmation page (Cancel first and focused; no data-confirm left).
func TestUISyncs_Forms(t *testing.T) {
	htEachDialectSyncs(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c := env.Client()
		c.SignIn("admin@example.com")
		token := env.CreateToken(team.ID, false)
		gh := &standin.GitHub{Token: "ghp_formtoken123"}
		srv := httptest.NewServer(gh)
		defer srv.Close()

		// The chooser offers the family.
		if _, body := c.Get("/integrations/new"); !strings.Contains(body, `href="/secret-syncs/new"`) || !strings.Contains(body, "Infisical secret sync") {
			t.Error("the New integration chooser has no Infisical secret sync card")
		}
		// Two auths: Vault and GitHub.
		_, m, _ := env.API(http.MethodPost, "/api/v1/integration-auth/access-token", token, map[string]any{"workspaceId": team.ID, "integration": "hashicorp-vault", "url": "https://vault.invalid", "accessId": "r", "accessToken": "s"})
		vaultAuth := m["integrationAuth"].(map[string]any)["id"].(string)
		_, m, _ = env.API(http.MethodPost, "/api/v1/integration-auth/access-token", token, map[string]any{"workspaceId": team.ID, "integration": "github", "url": srv.URL, "accessToken": "ghp_formtoken123"})
		ghAuth := m["integrationAuth"].(map[string]any)["id"].(string)

		fields := func(body string) []string {
			var out []string
			for _, m := range regexp.MustCompile(`data-testid="sync-target-fields"[\s\S]*?</fieldset>`).FindAllString(body, -1) {
				for _, n := range regexp.MustCompile(`name="([A-Za-z]+)"`).FindAllStringSubmatch(m, -1) {
					out = append(out, n[1])
				}
			}
			return out
		}
		_, body := c.Get("/secret-syncs/new?team=" + team.ID + "&auth=" + vaultAuth)
		if got := strings.Join(fields(body), ","); got != "app,targetPath" {
			t.Errorf("Vault's fields = %s, want app,targetPath", got)
		}
		if !strings.Contains(body, `hx-get="/secret-syncs/new"`) || !strings.Contains(body, `name="reload"`) {
			t.Error("the auth select neither reloads with htmx nor has the no-JS button")
		}
		// No JavaScript: "Show this target's fields" posts reload=1.
		resp, body := c.Post("/secret-syncs", url.Values{"team": {team.ID}, "auth": {ghAuth}, "env": {"dev"}, "path": {"/"}, "app": {"kept"}, "reload": {"1"}})
		if got := strings.Join(fields(body), ","); resp.StatusCode != http.StatusOK || got != "owner,app" || !strings.Contains(body, `value="kept"`) {
			t.Errorf("reload = %d with fields %s, want 200 and GitHub's owner,app keeping app", resp.StatusCode, got)
		}
		if n := htCount(t, env, "secret_integrations"); n != 0 {
			t.Errorf("a reload created %d integrations", n)
		}
		// A missing field is named next to it, nothing is written.
		resp, body = c.Post("/secret-syncs", url.Values{"team": {team.ID}, "auth": {ghAuth}, "env": {"dev"}, "path": {"/"}, "app": {"payments"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-owner"`) || htCount(t, env, "secret_integrations") != 0 {
			t.Errorf("missing owner = %d, want 422 with the error at owner", resp.StatusCode)
		}
		resp, _ = c.Post("/secret-syncs", url.Values{"team": {team.ID}, "auth": {ghAuth}, "env": {"dev"}, "path": {"/"}, "app": {"payments"}, "owner": {"acme"}, "secretPrefix": {"APP_"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create = %d", resp.StatusCode)
		}
		syncPath := resp.Header.Get("Location")

		// .env upload: all or nothing, limited in size.
		if resp, _ := uploadDotenv(t, c, team.ID, "UPLOADED_A=one-value-1\nUPLOADED_B=two-value-2\n"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("upload = %d, want 303", resp.StatusCode)
		}
		if _, body := c.Get("/secrets?team=" + team.ID + "&env=dev"); !strings.Contains(body, "UPLOADED_B") || strings.Contains(body, "two-value-2") {
			t.Error("the uploaded secrets are not listed (or a value is shown)")
		}
		if resp, body := uploadDotenv(t, c, team.ID, "UPLOADED_C=x\nbroken line\n"); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "line 2") {
			t.Errorf("bad upload = %d, want 422 naming line 2", resp.StatusCode)
		}
		if resp, body := uploadDotenv(t, c, team.ID, "BIG="+strings.Repeat("x", 300<<10)); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "larger than 256 KiB") {
			t.Errorf("big upload = %d, want 422 naming the limit", resp.StatusCode)
		}
		if _, body := c.Get("/secrets?team=" + team.ID + "&env=dev"); strings.Contains(body, "UPLOADED_C") || strings.Contains(body, ">BIG<") {
			t.Error("a refused upload wrote secrets")
		}

		// Deletes ask through the shared confirmation, never data-confirm.
		_, body = c.Get("/secrets?team=" + team.ID + "&env=dev")
		if strings.Contains(body, "data-confirm=") {
			t.Error("the Secrets page still uses data-confirm")
		}
		confirm := regexp.MustCompile(`href="(/secrets/confirm/delete\?[^"]*key=UPLOADED_A[^"]*)"`).FindStringSubmatch(body)
		if confirm == nil {
			t.Fatal("no confirmation link for deleting UPLOADED_A")
		}
		resp, body = c.Get(htmlUnescape(confirm[1]))
		action := regexp.MustCompile(`action="(/secrets/delete\?[^"]+)"`).FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || action == nil || !regexp.MustCompile(`data-close-dialog autofocus`).MatchString(body) || !strings.Contains(body, `data-testid="confirm-page"`) {
			t.Fatalf("confirm page = %d, want the shared confirmation with Cancel focused", resp.StatusCode)
		}
		if resp, _ := c.Post(htmlUnescape(action[1]), nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("confirmed delete = %d, want 303", resp.StatusCode)
		}
		if _, body := c.Get("/secrets?team=" + team.ID + "&env=dev"); strings.Contains(body, `data-key="UPLOADED_A"`) {
			t.Error("the confirmed delete left the secret")
		}
		c.Header.Set("HX-Request", "true")
		_, body = c.Get(syncPath + "/confirm/delete")
		c.Header.Del("HX-Request")
		if !strings.Contains(body, "data-confirm-dialog") || strings.Contains(body, "<html") {
			t.Error("htmx's confirmation of an integration delete is not the dialog alone")
		}
		if _, body := c.Get(syncPath); strings.Contains(body, "data-confirm=") || !strings.Contains(body, syncPath+"/confirm/delete") {
			t.Error("the integration's Delete does not use the shared confirmation")
		}
		if resp, _ := c.Post(syncPath+"/delete", nil); resp.StatusCode != http.StatusSeeOther || htCount(t, env, "secret_integrations") != 0 {
			t.Errorf("integration delete = %d", resp.StatusCode)
		}

		// Environments: add, rename (a bad slug named at the field), delete.
		resp, _ = c.Post("/secrets/environments", url.Values{"team": {team.ID}, "name": {"QA"}, "slug": {"qa"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "env=qa") {
			t.Fatalf("add environment = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, body := c.Post("/secrets/environments", url.Values{"team": {team.ID}, "name": {"Bad"}, "slug": {"Bad Slug"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-add.slug"`) {
			t.Errorf("bad slug = %d, want 422 at the add form's slug", resp.StatusCode)
		}
		_, body = c.Get("/secrets?team=" + team.ID + "&env=qa")
		rename := regexp.MustCompile(`action="/secrets/environments/([0-9a-f-]{36})"`).FindStringSubmatch(body)
		if rename == nil {
			t.Fatal("no rename form for qa")
		}
		if resp, body := c.Post("/secrets/environments/"+rename[1], url.Values{"team": {team.ID}, "name": {"QA"}, "slug": {"-"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-rename.slug"`) {
			t.Errorf("bad rename = %d, want 422 at the rename form's slug", resp.StatusCode)
		}
		resp, _ = c.Post("/secrets/environments/"+rename[1], url.Values{"team": {team.ID}, "name": {"Quality"}, "slug": {"quality"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "env=quality") {
			t.Fatalf("rename = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body = c.Get("/secrets/environments/" + rename[1] + "/confirm/delete?team=" + team.ID)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Delete the environment Quality?") {
			t.Fatalf("environment confirm = %d", resp.StatusCode)
		}
		if resp, _ := c.Post("/secrets/environments/"+rename[1]+"/delete?team="+team.ID, nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("environment delete = %d", resp.StatusCode)
		}
		if _, m, raw := env.API(http.MethodGet, "/api/v4/secrets?projectId="+team.ID+"&environment=quality", token, nil); m["error"] != "NotFound" {
			t.Errorf("the deleted environment still answers: %s", raw)
		}
	})
}

// TestUISyncs_UseConnection: an Infisical app connection of an app a target
// accepts offers "Use for secret syncs", which stores an auth referencing
// the connection (no credentials copied); other apps do not offer it.
func TestUISyncs_UseConnection(t *testing.T) {
	htEachDialectSyncs(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c := env.Client()
		c.SignIn("admin@example.com")
		token := env.CreateToken(team.ID, false)
		mk := func(in *integrations.AppConnectionInput) string {
			r, err := env.App.Services.Create(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "t"}, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r.Record.ID
		}
		gl := mk(&integrations.AppConnectionInput{App: "gitlab", Method: "access-token", Name: "gl", ProjectID: team.ID,
			Credentials: map[string]any{"accessToken": "glpat-connection-0001", "instanceUrl": "https://gitlab.invalid", "accessTokenType": "project"}})
		op := mk(&integrations.AppConnectionInput{App: "1password", Method: "api-token", Name: "op", ProjectID: team.ID,
			Credentials: map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}})
		if _, body := c.Get("/integrations/" + op); strings.Contains(body, "Use for secret syncs") {
			t.Error("a 1Password connection offers Use for secret syncs")
		}
		_, body := c.Get("/integrations/" + gl)
		if !strings.Contains(body, `data-testid="use-for-syncs"`) {
			t.Fatal("the GitLab connection does not offer Use for secret syncs")
		}
		resp, _ := c.Post("/secret-syncs/auths/connection", url.Values{"team": {team.ID}, "connection": {gl}, "integration": {"gitlab"}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/secret-syncs/new?") {
			t.Fatalf("use = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, m, raw := env.API(http.MethodGet, "/api/v1/workspace/"+team.ID+"/authorizations", token, nil)
		list, _ := m["authorizations"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["connectionId"] != gl || strings.Contains(raw, "glpat-connection-0001") {
			t.Errorf("authorizations = %s, want one referencing the connection", raw)
		}
		if _, body := c.Get(resp.Header.Get("Location")); !strings.Contains(body, "app connection") || !strings.Contains(body, `name="appId"`) {
			t.Error("the new-integration form does not start with the connection's auth and GitLab's fields")
		}
		if resp, _ := c.Post("/secret-syncs/auths/connection", url.Values{"team": {team.ID}, "connection": {op}, "integration": {"gitlab"}}); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("using a 1Password connection for GitLab = %d, want 400", resp.StatusCode)
		}
	})
}

func htmlUnescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }
