package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// BenchmarkPages_TokensNodes measures the tokens and nodes pages of a team
// with more of each than a page shows (access.MaxPageRows+50 nodes, half
// of them with a live key, and as many tokens), signed in as an admin,
// through the app's handler alone (webtest.ServeDirect: no connection,
// HTTP parsing or client), so B/op is what the server allocates.
func BenchmarkPages_TokensNodes(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			env := webtest.New(b, d)
			team := env.CreateTeam("bench")
			token := env.CreateToken(team.ID, false)
			n := access.MaxPageRows + 50
			for i := range n {
				node := env.CreateNode(team.ID, fmt.Sprintf("edge-%03d", i))
				if i%2 == 0 {
					if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": node.ID, "name": "key"}); resp.StatusCode != http.StatusCreated {
						b.Fatalf("seed key = %d %s", resp.StatusCode, raw)
					}
				}
			}
			for range n {
				env.CreateToken(team.ID, true)
			}
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c := env.Client()
			c.SignIn("admin@example.com")
			cookie := c.CookieHeader()
			for _, page := range []struct{ name, path, want string }{
				{"tokens", "/tokens?team=" + team.ID, `data-testid="tokens-capped"`},
				{"nodes", "/nodes?team=" + team.ID, `data-testid="nodes-capped"`},
			} {
				b.Run(page.name, func(b *testing.B) {
					rc := webtest.NewRequestCtx()
					b.ReportAllocs()
					for b.Loop() {
						env.Logs.Reset()
						if status, body := env.ServeDirect(rc, page.path, cookie); status != http.StatusOK || !bytes.Contains(body, []byte(page.want)) {
							b.Fatalf("GET %s = %d", page.path, status)
						}
					}
				})
			}
		})
	}
}
