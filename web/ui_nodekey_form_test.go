package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/web/webtest"
)

// TestNodeKeyForm_NodesInUse: the node list marks (and disables) a node
// that already has an active key and links to its Rotate; the refusal of a
// second key links to Rotate; an empty Team is flagged on the Team field.
func TestNodeKeyForm_NodesInUse(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("edge")
		used := env.CreateNode(team.ID, "edge-eu-1")
		free := env.CreateNode(team.ID, "edge-us-1")
		c := htSignInAdmin(t, env)
		const path = "/integrations/new/node-api-key"
		resp, body := c.Post(path, url.Values{"team_id": {team.ID}, "node_id": {used.ID}, "name": {"First"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the first key = %d, errors %v", resp.StatusCode, htErrorFields(body))
		}
		keyID, _ := opRevealed(t, c, resp.Header.Get("Location"))

		_, page := c.Get(path + "?team_id=" + team.ID)
		doc := opDoc(t, page)
		u := doc.Find(opTestID("node-option-edge-eu-1"))
		if _, dis := u.Attr("disabled"); !dis || !strings.Contains(u.Text(), "has an active key") {
			t.Errorf("the node with a key: disabled %v, label %q; want disabled and marked", dis, u.Text())
		}
		f := doc.Find(opTestID("node-option-edge-us-1"))
		if _, dis := f.Attr("disabled"); dis || strings.Contains(f.Text(), "active key") {
			t.Errorf("the node without a key is marked or disabled")
		}
		if href, _ := doc.Find(opTestID("rotate-edge-eu-1")).Attr("href"); href != "/integrations/"+keyID+"/confirm/rotate" {
			t.Errorf("the in-use hint links to %q, want the key's Rotate", href)
		}
		// The htmx node field says the same.
		_, frag := c.Get(path + "/nodes?team_id=" + team.ID)
		if !strings.Contains(frag, "edge-eu-1 — has an active key") {
			t.Errorf("the htmx node field does not mark the node with a key")
		}

		resp, body = c.Post(path, url.Values{"team_id": {team.ID}, "node_id": {used.ID}, "name": {"Second"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-node_id") {
			t.Fatalf("a second key = %d, errors %v; want 422 at the node", resp.StatusCode, htErrorFields(body))
		}
		if href, _ := opDoc(t, body).Find(opTestID("node-rotate-link")).Attr("href"); href != "/integrations/"+keyID+"/confirm/rotate" {
			t.Errorf("the refusal links to %q, want the existing key's Rotate", href)
		}
		_ = free

		resp, body = c.Post(path, url.Values{"team_id": {""}, "node_id": {""}, "name": {"No team"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-team_id") || htHasTestID(body, "error-node_id") {
			t.Errorf("no team = %d, errors %v; want 422 at the team only", resp.StatusCode, htErrorFields(body))
		}
		if !strings.Contains(body, `aria-describedby="team_id-error"`) {
			t.Errorf("the team select is not described by its error")
		}
	})
}
