package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// TestCorruptAttrs_InternalErrorLogged stores, for one integration of
// every provider, attributes that do not parse as the provider's (a JSON
// array where an object belongs: PostgreSQL's jsonb refuses anything
// worse). Its detail page and its family's show (where the show reads
// them: Anchor's shape holds none of the attributes) must answer 500,
// never an empty view, and the log must name the row, with the request id.
func TestCorruptAttrs_InternalErrorLogged(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			ctx := context.Background()
			team := env.CreateTeam("payments")
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			token := env.CreateToken(team.ID, false)
			create := func(in integrations.Input) string {
				t.Helper()
				c, err := env.App.Services.Create(ctx, mxRoot, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				return c.Record.ID
			}
			cases := []struct{ name, id, show string }{
				{"node key", create(&integrations.NodeKeyInput{NodeID: env.CreateNode(team.ID, "edge-1").ID, Name: "k"}), "/api/v1/integrations/"},
				{"1Password", create(&integrations.OnePasswordInput{TeamID: team.ID, Name: "op", Token: newOPToken(t).Token}), ""},
				{"Infisical", create(&integrations.AppConnectionInput{App: "1password", Method: "api-token", Name: "vault", ProjectID: team.ID,
					Credentials: map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}}), "/api/v1/app-connections/1password/"},
				{"LaunchDarkly", create(&integrations.LDConfigInput{IntegrationKey: "honeycomb", TeamID: team.ID, Name: "hc",
					ConfigValues: map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789"}}), "/api/v2/integration-configurations/"},
			}
			c := env.Client()
			c.SignIn("admin@example.com")
			for _, tc := range cases {
				if _, err := env.Store.SQLX().Exec(env.Store.SQLX().Rebind(`UPDATE integrations SET attrs = '[1]' WHERE id = ?`), tc.id); err != nil {
					t.Fatal(err)
				}
				if tc.show != "" {
					resp, _, raw := env.API(http.MethodGet, tc.show+tc.id, token, nil)
					if resp.StatusCode != http.StatusInternalServerError {
						t.Errorf("%s: GET %s with corrupt attrs = %d, want 500; body %.200s", tc.name, tc.show+tc.id, resp.StatusCode, raw)
					}
					logged(t, env, tc.name, resp, tc.id)
				}
				resp, _ := c.Get("/integrations/" + tc.id)
				if resp.StatusCode != http.StatusInternalServerError {
					t.Errorf("%s: the detail page with corrupt attrs = %d, want 500", tc.name, resp.StatusCode)
				}
				logged(t, env, tc.name+" (detail page)", resp, tc.id)
			}
		})
	}
}

// logged fails unless a log line carries resp's request id, and the log
// names the row whose attributes did not parse.
func logged(t *testing.T, env *webtest.Env, name string, resp *http.Response, id string) {
	t.Helper()
	reqID := resp.Header.Get("X-Request-Id")
	logs := env.Logs.String()
	if reqID == "" || !strings.Contains(logs, "request_id="+reqID) {
		t.Errorf("%s: no log line carries the request id %q", name, reqID)
	}
	if !strings.Contains(logs, id+": attrs") {
		t.Errorf("%s: the log does not name %s's unreadable attrs", name, id)
	}
}
