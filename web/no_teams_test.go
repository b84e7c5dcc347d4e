package web_test

import (
	"net/http"
	"testing"

	sb "switchboard"
	"switchboard/web/webtest"
)

// TestNoTeams_EmptyStateByRole: before any team exists, an administrator's
// tokens and nodes pages lead to creating one; a support user is told an
// administrator can add them.
func TestNoTeams_EmptyStateByRole(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport)
		admin, _ := htSignIn(t, env, "admin@example.com")
		support, _ := htSignIn(t, env, "support@example.com")
		for _, path := range []string{"/tokens", "/nodes"} {
			resp, body := admin.Get(path)
			if resp.StatusCode != http.StatusOK || !htHasTestID(body, "empty-teams") || !htHasTestID(body, "empty-teams-create") {
				t.Errorf("admin GET %s = %d; want the no-teams state with Create a team", path, resp.StatusCode)
			}
			resp, body = support.Get(path)
			if resp.StatusCode != http.StatusOK || !htHasTestID(body, "empty-teams") || htHasTestID(body, "empty-teams-create") {
				t.Errorf("support GET %s = %d; want the no-teams state without Create a team", path, resp.StatusCode)
			}
		}
	})
}
