package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/web/webtest"
)

// TestNodesPage: support staff list and add the nodes of their own teams;
// another team's nodes are not found, and nothing is added there.
func TestNodesPage(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		own := env.CreateTeam("payments")
		other := env.CreateTeam("growth")
		env.CreateNode(own.ID, "edge-eu-1")
		env.CreateNode(other.ID, "growth-edge")
		env.CreateUser("support@example.com", sb.RoleSupport, own.Slug)
		c, _ := htSignIn(t, env, "support@example.com")

		resp, body := c.Get("/nodes")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "edge-eu-1") || strings.Contains(body, "growth-edge") {
			t.Fatalf("GET /nodes = %d: want the own team's node only", resp.StatusCode)
		}
		if !htHasTestID(body, "new-key") {
			t.Errorf("a node without a key offers no link to make one")
		}
		if resp, body := c.Get("/nodes?team=" + other.ID); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "growth-edge") {
			t.Errorf("another team's nodes = %d, want 404 without its data", resp.StatusCode)
		}
		resp, body = c.Post("/nodes", url.Values{"team_id": {own.ID}, "name": {" "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-name") {
			t.Errorf("blank name = %d (errors %v), want 422 next to the name", resp.StatusCode, htErrorFields(body))
		}
		resp, _ = c.Post("/nodes", url.Values{"team_id": {own.ID}, "name": {"edge-us-2"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/nodes?team="+own.ID {
			t.Fatalf("add node = %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := c.Get(resp.Header.Get("Location")); !strings.Contains(body, "edge-us-2") || !strings.Contains(body, "Node edge-us-2 added") {
			t.Errorf("the new node or its flash is missing")
		}
		resp, _ = c.Post("/nodes", url.Values{"team_id": {own.ID}, "name": {"edge-us-2"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a duplicate node name = %d, want 422", resp.StatusCode)
		}
		if resp, _ := c.Post("/nodes", url.Values{"team_id": {other.ID}, "name": {"forged"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a node for another team = %d, want 404", resp.StatusCode)
		}
		nodes, _ := env.App.Access.Nodes(t.Context(), sb.Actor{Role: sb.RoleAdmin}, other.ID)
		if len(nodes) != 1 {
			t.Errorf("another team has %d nodes, want its 1", len(nodes))
		}
		if n := usAudit(t, env, "node.create"); n != 3 {
			t.Errorf("%d node.create rows, want 3 (two fixtures, one added)", n)
		}
	})
}
