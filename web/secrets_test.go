package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"switchboard/syncs/targets/standin"
	"testing"

	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// dumpDB renders every row of every table as text, like a database dump.
func dumpDB(t *testing.T, s *db.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range s.Tables() {
		rows, err := s.SQLX().QueryxContext(context.Background(), "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			for k, v := range m {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s.%s=%v\n", table, k, v)
			}
		}
		rows.Close()
	}
	return b.String()
}

var revealRE = regexp.MustCompile(`data-testid="reveal-secret">([^<]+)<`)

// TestSecrets_NeverLeak creates node keys through the browser and the API and
// an API token, then checks that no secret appears in any later response, in
// the server log, in the audit rows or anywhere in the database.
func TestSecrets_NeverLeak(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("payments")
			n1 := env.CreateNode(team.ID, "edge-1")
			n2 := env.CreateNode(team.ID, "edge-2")
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			token := env.CreateToken(team.ID, false)

			// API create: the secret is in the 201 body, once.
			resp, body, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": n1.ID, "name": "API key", "permissions": []string{"payments.read"}})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("API create = %d %s", resp.StatusCode, raw)
			}
			apiSecret, _ := body["secret"].(string)
			apiID, _ := body["id"].(string)
			if !strings.HasPrefix(apiSecret, "apexs_") {
				t.Fatalf("API secret = %q, want apexs_…", apiSecret)
			}

			// Browser create: the secret is on the reveal page, once.
			c := env.Client()
			c.SignIn("admin@example.com")
			resp, _ = c.Post("/integrations/new/node-api-key", url.Values{"team_id": {team.ID}, "node_id": {n2.ID}, "name": {"Browser key"}, "permissions": {"payouts.read"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("form create = %d, want 303", resp.StatusCode)
			}
			revealPath := resp.Header.Get("Location")
			resp, page := c.Get(revealPath)
			m := revealRE.FindStringSubmatch(page)
			if resp.StatusCode != http.StatusOK || m == nil {
				t.Fatalf("reveal = %d, no secret on the page", resp.StatusCode)
			}
			uiSecret := m[1]
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("reveal Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
			}

			// API token created in the browser, revealed once.
			resp, _ = c.Post("/tokens", url.Values{"team_id": {team.ID}, "name": {"deploy"}, "expires": {"90d"}, "access": {"read-write"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("token create = %d, want 303", resp.StatusCode)
			}
			_, tokPage := c.Get(resp.Header.Get("Location"))
			tokRE := regexp.MustCompile(`sbt_[0-9A-Za-z]{49}`)
			uiToken := tokRE.FindString(tokPage)
			if uiToken == "" {
				t.Fatalf("token reveal shows no sbt_ token")
			}

			canaries := map[string]string{"API secret": apiSecret, "browser secret": uiSecret, "CLI token": token, "browser token": uiToken}

			// Every later response, HTML and JSON.
			var later strings.Builder
			for _, p := range []string{"/integrations", "/integrations/" + apiID, revealPath, "/teams/" + team.ID, "/teams", "/tokens?team=" + team.ID} {
				_, b := c.Get(p)
				later.WriteString(b)
			}
			for _, p := range []string{"/api/v1/integrations", "/api/v1/integrations/" + apiID, "/api/v1/integrations?node_id=" + n2.ID} {
				_, _, b := env.API(http.MethodGet, p, token, nil)
				later.WriteString(b)
			}
			if !strings.Contains(later.String(), "apex_") {
				t.Fatalf("later responses carry no api_key at all: the scan would prove nothing")
			}
			dump := dumpDB(t, env.Store)
			if !strings.Contains(dump, "integration.create") {
				t.Fatalf("the dump has no audit rows: the scan would prove nothing")
			}
			for name, secret := range canaries {
				if strings.Contains(later.String(), secret) {
					t.Errorf("%s appears in a later response", name)
				}
				if strings.Contains(env.Logs.String(), secret) {
					t.Errorf("%s appears in the server log", name)
				}
				if strings.Contains(dump, secret) {
					t.Errorf("%s appears in the database dump", name)
				}
			}
		})
	}
}

// TestAPINodeKeys_InternalError makes the database fail under a request: the
// answer is a 500 in the family's shape that names no internals, and the log
// has the cause with the request id.
func TestAPINodeKeys_InternalError(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("payments")
			node := env.CreateNode(team.ID, "edge-1")
			token := env.CreateToken(team.ID, false)
			env.Store.Close()
			resp, body, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": node.ID, "name": "k"})
			if resp.StatusCode != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500", resp.StatusCode)
			}
			if body["error"] != "internal_error" || body["message"] != "internal error" || len(body) != 2 {
				t.Errorf("body = %s, want exactly {\"error\":\"internal_error\",\"message\":\"internal error\"}", raw)
			}
			for _, leak := range []string{"sql", "closed", "db:", token} {
				if strings.Contains(strings.ToLower(raw), strings.ToLower(leak)) {
					t.Errorf("500 body %s reveals %q", raw, leak)
				}
			}
			reqID := resp.Header.Get("X-Request-Id")
			if !strings.Contains(env.Logs.String(), "request_id="+reqID) || !strings.Contains(env.Logs.String(), "internal error") {
				t.Errorf("the cause is not logged with request id %s", reqID)
			}
		})
	}
}

// TestSecrets_NeverLeakEveryProvider creates an integration of each
// provider with supplied secrets through its JSON family (node keys have
// their own test above), then checks that no secret appears in any later
// response (every family's list and show, the detail and edit pages), in
// the server log, in the audit rows or anywhere in the database.
func TestSecrets_NeverLeakEveryProvider(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("payments")
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			token := env.CreateToken(team.ID, false)
			canaries := map[string]string{
				"1Password token":            newOPToken(t).Token,
				"Infisical apiToken":         "connect-canary-" + strings.Repeat("7", 24),
				"LaunchDarkly apiKey":        "hc-canary-" + strings.Repeat("5", 24),
				"node key secret (rotation)": "",
			}
			creates := []struct {
				name, path, idPath string
				body               map[string]any
				id                 func(map[string]any) string
			}{
				{"1Password", "/v1/integrations", "/v1/integrations/", map[string]any{"name": "op", "type": "1PASSWORD",
					"credentials": map[string]any{"type": "serviceAccount", "data": map[string]any{"serviceAccount": canaries["1Password token"]}}},
					func(m map[string]any) string {
						return m["data"].(map[string]any)["integration"].(map[string]any)["id"].(string)
					}},
				{"Infisical", "/api/v1/app-connections/1password", "/api/v1/app-connections/1password/", map[string]any{"name": "vault", "method": "api-token",
					"credentials": map[string]any{"apiToken": canaries["Infisical apiToken"], "instanceUrl": "https://1pass.invalid"}},
					func(m map[string]any) string { return m["appConnection"].(map[string]any)["id"].(string) }},
				{"LaunchDarkly", "/api/v2/integration-configurations/keys/honeycomb", "/api/v2/integration-configurations/", map[string]any{"name": "hc",
					"configValues": map[string]any{"datasetName": "prod", "apiKey": canaries["LaunchDarkly apiKey"]}},
					func(m map[string]any) string { return m["_id"].(string) }},
			}
			node := env.CreateNode(team.ID, "edge-1")
			resp, body, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": node.ID, "name": "k"})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("node key create = %d %s", resp.StatusCode, raw)
			}
			nodeID := body["id"].(string)
			resp, body, raw = env.API(http.MethodPost, "/api/v1/integrations/"+nodeID+"/rotate", token, nil)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("node key rotate = %d %s", resp.StatusCode, raw)
			}
			canaries["node key secret (rotation)"], nodeID = body["secret"].(string), body["id"].(string)

			var later strings.Builder
			ids := []string{nodeID}
			c := env.Client()
			c.SignIn("admin@example.com")
			for _, cr := range creates {
				resp, body, raw := env.API(http.MethodPost, cr.path, token, cr.body)
				if resp.StatusCode/100 != 2 {
					t.Fatalf("%s create = %d %s", cr.name, resp.StatusCode, raw)
				}
				id := cr.id(body)
				ids = append(ids, id)
				for _, p := range []string{cr.path, cr.idPath + id} {
					_, _, b := env.API(http.MethodGet, p, token, nil)
					later.WriteString(b)
				}
			}
			for _, p := range []string{"/api/v1/integrations", "/v1/integrations", "/api/v1/app-connections", "/api/v1/audit-events"} {
				_, _, b := env.API(http.MethodGet, p, token, nil)
				later.WriteString(b)
			}
			pages := []string{"/integrations", "/audit"}
			for _, id := range ids {
				pages = append(pages, "/integrations/"+id, "/integrations/"+id+"/edit")
			}
			for _, p := range pages {
				_, b := c.Get(p)
				later.WriteString(b)
			}
			if !strings.Contains(later.String(), "credentialsHash") || !strings.Contains(later.String(), "hc-") {
				t.Fatalf("later responses carry none of the created integrations: the scan would prove nothing")
			}
			dump := dumpDB(t, env.Store)
			if strings.Count(dump, "integration.create") < 4 {
				t.Fatalf("the dump has too few audit rows: the scan would prove nothing")
			}
			for name, secret := range canaries {
				if secret == "" {
					t.Fatalf("%s: no canary", name)
				}
				if strings.Contains(later.String(), secret) {
					t.Errorf("%s appears in a later response", name)
				}
				if strings.Contains(env.Logs.String(), secret) {
					t.Errorf("%s appears in the server log", name)
				}
				if strings.Contains(dump, secret) {
					t.Errorf("%s appears in the database dump", name)
				}
			}
		})
	}
}

// TestSecrets_NeverLeak_SecretSyncs covers the secret-sync family: secret
// values written through the API, an auth's token, and a target failing
// with a message that echoes the value it was sent never appear in a later
// answer, the server log or any table.
func TestSecrets_NeverLeak_SecretSyncs(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.NewSyncs(t, d)
			team := env.CreateTeam("payments")
			token := env.CreateToken(team.ID, false)
			const single, batched, authToken, uploaded = "single-secret-value-0001", "batched-secret-value-0002", "glpat-never-shown-0003", "uploaded-secret-value-0004"
			gl := &standin.GitLab{Token: authToken}
			srv := httptest.NewServer(gl)
			defer srv.Close()
			gl.Fail(&standin.Failure{Status: http.StatusBadRequest, Message: "value " + single + " rejected for " + authToken})

			var later strings.Builder
			call := func(method, path string, body any) map[string]any {
				resp, b, raw := env.API(method, path, token, body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, raw)
				}
				later.WriteString(raw)
				return b
			}
			call(http.MethodPost, "/api/v4/secrets/SINGLE", map[string]any{"projectId": team.ID, "environment": "dev", "secretValue": single})
			call(http.MethodPost, "/api/v4/secrets/batch", map[string]any{"projectId": team.ID, "environment": "dev", "secrets": []map[string]any{{"secretKey": "BATCHED", "secretValue": batched}}})
			auth := call(http.MethodPost, "/api/v1/integration-auth/access-token", map[string]any{"workspaceId": team.ID, "integration": "gitlab", "accessToken": authToken, "url": srv.URL})
			authID := auth["integrationAuth"].(map[string]any)["id"].(string)
			integ := call(http.MethodPost, "/api/v1/integration", map[string]any{"integrationAuthId": authID, "sourceEnvironment": "dev", "appId": "7"})
			id := integ["integration"].(map[string]any)["id"].(string)
			drainSyncs(t, env)
			shown := call(http.MethodGet, "/api/v1/integration/"+id, nil)["integration"].(map[string]any)
			if shown["isSynced"] != false || !strings.Contains(shown["syncMessage"].(string), "GitLab answered 400") {
				t.Fatalf("a failing target left isSynced=%v syncMessage=%q", shown["isSynced"], shown["syncMessage"])
			}
			call(http.MethodGet, "/api/v4/secrets?projectId="+team.ID+"&environment=dev", nil)
			call(http.MethodGet, "/api/v1/integration-auth/"+authID, nil)
			call(http.MethodGet, "/api/v1/workspace/"+team.ID+"/integrations", nil)
			call(http.MethodGet, "/api/v1/workspace/"+team.ID+"/authorizations", nil)
			// The browser side: a .env file uploaded, then every page of the family.
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")
			if resp, _ := uploadDotenv(t, c, team.ID, "UPLOADED="+uploaded+"\n"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("upload = %d", resp.StatusCode)
			}
			for _, p := range []string{"/secrets?team=" + team.ID + "&env=dev", "/secret-syncs?team=" + team.ID, "/secret-syncs/" + id, "/secret-syncs/new?team=" + team.ID,
				"/secret-syncs/" + id + "/confirm/delete", "/secrets/confirm/delete?team=" + team.ID + "&env=dev&path=/&key=UPLOADED"} {
				resp, body := c.Get(p)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d", p, resp.StatusCode)
				}
				later.WriteString(body)
			}
			dump := dumpDB(t, env.Store)
			if !strings.Contains(dump, "secret_sync.run") || !strings.Contains(later.String(), "SINGLE") || !strings.Contains(later.String(), "UPLOADED") {
				t.Fatalf("no sync audit row or no secret keys in the answers: the scan would prove nothing")
			}
			for name, secret := range map[string]string{"secret value": single, "batched value": batched, "auth token": authToken, "uploaded value": uploaded} {
				if strings.Contains(later.String(), secret) {
					t.Errorf("the %s appears in a later answer", name)
				}
				if strings.Contains(env.Logs.String(), secret) {
					t.Errorf("the %s appears in the server log", name)
				}
				if strings.Contains(dump, secret) {
					t.Errorf("the %s appears in the database dump", name)
				}
			}
		})
	}
}
