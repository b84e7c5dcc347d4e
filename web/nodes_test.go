package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
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

// TestNodesPage_CapAndLiveKeys: a team with more nodes than a page holds
// lists the first access.MaxPageRows by name and says how many there are;
// a node's live key is linked, a revoked one is not (the node offers a new
// key), and the keys are read for the listed nodes only.
func TestNodesPage_CapAndLiveKeys(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		a, b := env.CreateNode(team.ID, "a-edge"), env.CreateNode(team.ID, "b-edge")
		token := env.CreateToken(team.ID, false)
		_, live, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": a.ID, "name": "a-key"})
		if live["id"] == nil {
			t.Fatalf("create key: %s", raw)
		}
		_, gone, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": b.ID, "name": "b-key"})
		if gone["id"] == nil {
			t.Fatalf("create key: %s", raw)
		}
		if resp, _, _ := env.API(http.MethodDelete, "/api/v1/integrations/"+gone["id"].(string), token, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke = %d", resp.StatusCode)
		}
		x := env.Store.SQLX()
		for i := range access.MaxPageRows {
			x.MustExec(x.Rebind(`INSERT INTO nodes (id, team_id, name, created_at) VALUES (?, ?, ?, ?)`), uuid.NewString(), team.ID, fmt.Sprintf("z-%03d", i), time.Now().UTC())
		}
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		resp, body := c.Get("/nodes?team=" + team.ID)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /nodes = %d", resp.StatusCode)
		}
		if n := strings.Count(body, `data-testid="node-row"`); n != access.MaxPageRows {
			t.Errorf("%d node rows, want %d", n, access.MaxPageRows)
		}
		if want := fmt.Sprintf("of %d nodes", access.MaxPageRows+2); !htHasTestID(body, "nodes-capped") || !strings.Contains(body, want) {
			t.Errorf("a capped page does not say %q", want)
		}
		if !strings.Contains(body, `href="/integrations/`+live["id"].(string)+`"`) || strings.Contains(body, gone["id"].(string)) {
			t.Errorf("want a-edge's live key linked and b-edge's revoked key not")
		}
		if strings.Contains(body, "z-199") || !strings.Contains(body, "z-197") {
			t.Errorf("want the first nodes by name")
		}
		// The team page lists the same first nodes, capped the same way.
		resp, body = c.Get("/teams/" + team.ID)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /teams/%s = %d", team.ID, resp.StatusCode)
		}
		if n := strings.Count(body, `data-testid="node-row"`); n != access.MaxPageRows {
			t.Errorf("team page: %d node rows, want %d", n, access.MaxPageRows)
		}
		if want := fmt.Sprintf("of %d nodes", access.MaxPageRows+2); !htHasTestID(body, "team-nodes-capped") || !strings.Contains(body, want) {
			t.Errorf("the capped team page does not say %q", want)
		}
		small := env.CreateTeam("small").ID
		_, body = c.Get("/nodes?team=" + small)
		if htHasTestID(body, "nodes-capped") {
			t.Errorf("an uncapped page says it is capped")
		}
		if _, body = c.Get("/teams/" + small); htHasTestID(body, "team-nodes-capped") {
			t.Errorf("an uncapped team page says it is capped")
		}
	})
}
