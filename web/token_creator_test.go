package web_test

import (
	"context"
	"net/http"
	"testing"

	sb "switchboard"
	"switchboard/access"
	"switchboard/web/webtest"
)

// tcFamilies is one token-authenticated read of each JSON family.
var tcFamilies = []struct{ name, path string }{
	{"node API keys", "/api/v1/integrations"},
	{"Infisical", "/api/v1/app-connections"},
	{"Anchor", "/v1/integrations"},
	{"LaunchDarkly", "/api/v2/integration-configurations/keys/honeycomb"},
	{"audit events", "/api/v1/audit-events"},
}

// TestToken_CreatorOffTeam: a token created by a support user stops at
// once (401 in every family) when the user is taken off the token's team,
// the tokens page says why, and it works again when the user rejoins or
// becomes an admin (who has every team).
func TestToken_CreatorOffTeam(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		ctx := context.Background()
		admin := sb.Actor{Role: sb.RoleAdmin, Email: "test"}
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		team := env.CreateTeam("ops")
		other := env.CreateTeam("dev")
		u := env.CreateUser("support@example.com", sb.RoleSupport, "ops")
		creator := sb.Actor{UserID: u.ID, Email: u.Email, Role: sb.RoleSupport, Teams: []string{team.ID}}
		token, _, err := env.App.Access.CreateToken(ctx, creator, access.TokenInput{TeamID: team.ID, Name: "deploy"})
		if err != nil {
			t.Fatal(err)
		}
		want := func(step string, status int) {
			t.Helper()
			for _, f := range tcFamilies {
				if resp, _, body := env.API(http.MethodGet, f.path, token, nil); resp.StatusCode != status {
					t.Errorf("%s: %s GET %s = %d %.200s, want %d", step, f.name, f.path, resp.StatusCode, body, status)
				}
			}
		}
		setAccess := func(role sb.Role, teams ...string) {
			t.Helper()
			if _, err := env.App.Access.UpdateAccess(ctx, admin, u.ID, access.AccessInput{Role: role, TeamIDs: teams}); err != nil {
				t.Fatal(err)
			}
		}
		page := env.Client()
		page.SignIn("admin@example.com")
		reason := func() (string, string) {
			t.Helper()
			_, body := page.Get("/tokens?team=" + team.ID)
			row := tkRow(body, token)
			if row == "" {
				t.Fatalf("no row for the token on the tokens page")
			}
			return tkCell(row, "token-status"), tkCell(row, "token-reason")
		}

		want("creator on the team", http.StatusOK)
		if st, why := reason(); st != "active" || why != "" {
			t.Errorf("tokens page while the creator is on the team: status %q reason %q, want active and no reason", st, why)
		}
		setAccess(sb.RoleSupport, other.ID)
		want("creator moved to another team", http.StatusUnauthorized)
		if st, why := reason(); st != "inactive" || why != "Creator no longer on team" {
			t.Errorf("tokens page after the creator left the team: status %q reason %q, want inactive, Creator no longer on team", st, why)
		}
		setAccess(sb.RoleSupport, team.ID, other.ID)
		want("creator back on the team", http.StatusOK)
		setAccess(sb.RoleAdmin)
		want("creator an admin with no membership", http.StatusOK)
		setAccess(sb.RoleSupport)
		want("creator demoted to support without teams", http.StatusUnauthorized)
		if _, err := env.App.Access.DisableUser(ctx, admin, u.ID); err != nil {
			t.Fatal(err)
		}
		if st, why := reason(); st != "inactive" || why != "Creator disabled" {
			t.Errorf("tokens page with the creator disabled: status %q reason %q, want inactive, Creator disabled", st, why)
		}
	})
}
