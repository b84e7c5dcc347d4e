package web_test

import (
	"fmt"
	"net/http"
	"testing"

	sb "switchboard"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// BenchmarkAPI_NodeKeyCreateRevoke measures the JSON create (key + secret
// generation, keyed hash, one transaction with its audit row) followed by the
// revoke that frees the node for the next iteration.
func BenchmarkAPI_NodeKeyCreateRevoke(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			env := webtest.New(b, d)
			team := env.CreateTeam("bench")
			node := env.CreateNode(team.ID, "edge")
			token := env.CreateToken(team.ID, false)
			body := map[string]any{"node_id": node.ID, "name": "bench", "permissions": []string{"payments.read"}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, body)
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("create = %d %s", resp.StatusCode, raw)
				}
				if resp, _, _ := env.API(http.MethodDelete, "/api/v1/integrations/"+m["id"].(string), token, nil); resp.StatusCode != http.StatusNoContent {
					b.Fatalf("delete = %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkUI_IntegrationsList measures the signed-in integrations page with
// 200 rows (session decode, user lookup, one joined query, templ render).
func BenchmarkUI_IntegrationsList(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			env := webtest.New(b, d)
			team := env.CreateTeam("bench")
			token := env.CreateToken(team.ID, false)
			for i := range 200 {
				node := env.CreateNode(team.ID, fmt.Sprintf("edge-%03d", i))
				if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": node.ID, "name": "key"}); resp.StatusCode != http.StatusCreated {
					b.Fatalf("seed = %d %s", resp.StatusCode, raw)
				}
			}
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusOK {
					b.Fatalf("list = %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkAPI_LaunchDarklyCreateDelete measures the LaunchDarkly JSON
// create (manifest validation with statements, a sealed secret, one
// transaction with its audit row) and the delete that follows it.
func BenchmarkAPI_LaunchDarklyCreateDelete(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			env := webtest.New(b, d)
			team := env.CreateTeam("bench")
			token := env.CreateToken(team.ID, false)
			body := map[string]any{"name": "bench", "tags": []string{"bench"},
				"configValues": map[string]any{"apiKey": "dd-0123456789abcdef", "hostURL": "https://api.datadoghq.eu"},
				"capabilityConfig": map[string]any{"auditLogEventsHook": map[string]any{"statements": []any{
					map[string]any{"effect": "allow", "resources": []any{"proj/*:env/production:flag/*"}, "actions": []any{"*"}}}}}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				resp, m, raw := env.API(http.MethodPost, "/api/v2/integration-configurations/keys/datadog", token, body)
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("create = %d %s", resp.StatusCode, raw)
				}
				if resp, _, _ := env.API(http.MethodDelete, "/api/v2/integration-configurations/"+m["_id"].(string), token, nil); resp.StatusCode != http.StatusNoContent {
					b.Fatalf("delete = %d", resp.StatusCode)
				}
			}
		})
	}
}
