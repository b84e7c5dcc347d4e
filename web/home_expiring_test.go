package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	sb "switchboard"
	"switchboard/access"
	"switchboard/web/webtest"
)

// TestHome_FlagsExpiringTokens: the home page (the integrations list)
// flags the API tokens that expire within 7 days, of the viewer's teams
// only: an admin sees every team's, a support user only their teams'; a
// token further off, already expired, revoked, or stopped with its
// creator (disabled, or a support user moved off the team) is not flagged. On
// SQLite and PostgreSQL.
func TestHome_FlagsExpiringTokens(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		ctx := context.Background()
		admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
		root := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
		pay, ops := env.CreateTeam("payments"), env.CreateTeam("ops")
		token := func(teamID, name string, in time.Duration) string {
			t.Helper()
			_, tok, err := env.App.Access.CreateToken(ctx, root, access.TokenInput{TeamID: teamID, Name: name, ExpiresIn: in})
			if err != nil {
				t.Fatal(err)
			}
			return tok.ID
		}
		token(pay.ID, "pay-soon", 9*24*time.Hour)
		token(pay.ID, "pay-far", 30*24*time.Hour)
		token(pay.ID, "pay-expired", 2*24*time.Hour)
		revoked := token(pay.ID, "pay-revoked", 9*24*time.Hour)
		if _, _, err := env.App.Access.RevokeToken(ctx, root, revoked); err != nil {
			t.Fatal(err)
		}
		token(ops.ID, "ops-soon", 8*24*time.Hour)
		// A token stops with its disabled creator: not flagged either.
		gone := env.CreateUser("gone@example.com", sb.RoleSupport, "payments")
		if _, _, err := env.App.Access.CreateToken(ctx, sb.Actor{UserID: gone.ID, Role: sb.RoleSupport, Email: gone.Email, Teams: []string{pay.ID}},
			access.TokenInput{TeamID: pay.ID, Name: "pay-creator-gone", ExpiresIn: 9 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.App.Access.DisableUser(ctx, root, gone.ID); err != nil {
			t.Fatal(err)
		}
		// Nor one whose support creator was moved off the token's team.
		moved := env.CreateUser("moved@example.com", sb.RoleSupport, "payments")
		if _, _, err := env.App.Access.CreateToken(ctx, sb.Actor{UserID: moved.ID, Role: sb.RoleSupport, Email: moved.Email, Teams: []string{pay.ID}},
			access.TokenInput{TeamID: pay.ID, Name: "pay-creator-moved", ExpiresIn: 9 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.App.Access.UpdateAccess(ctx, root, moved.ID, access.AccessInput{Role: sb.RoleSupport, TeamIDs: []string{ops.ID}}); err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(4 * 24 * time.Hour) // pay-soon has 5 days left, ops-soon 4
		env.App.Access.Now = func() time.Time { return later }

		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		for _, tc := range []struct {
			email string
			want  []string
		}{
			{"admin@example.com", []string{"ops-soon", "pay-soon"}}, // soonest first
			{"support@example.com", []string{"pay-soon"}},
		} {
			c, _ := htSignIn(t, env, tc.email)
			if resp, _ := c.Get("/"); resp.Header.Get("Location") != "/integrations" {
				t.Fatalf("%s: / redirects to %q, want the integrations list (the home page)", tc.email, resp.Header.Get("Location"))
			}
			resp, page := c.Get("/integrations")
			if resp.StatusCode != 200 {
				t.Fatalf("%s: home = %d %s", tc.email, resp.StatusCode, resp.Header.Get("Location"))
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			doc.Find(`[data-testid="expiring-tokens"] [data-testid="expiring-token"] a`).Each(func(_ int, s *goquery.Selection) {
				got = append(got, strings.TrimSpace(s.Text()))
			})
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s: the home page flags tokens %v, want %v", tc.email, got, tc.want)
			}
			if tc.email == "support@example.com" && strings.Contains(page, "ops-soon") {
				t.Errorf("a support user of payments sees the ops team's token on the home page")
			}
			if href, _ := doc.Find(`[data-testid="expiring-token"] a`).Last().Attr("href"); href != "/tokens?team="+pay.ID {
				t.Errorf("%s: the flagged token links to %q, want its team's tokens page", tc.email, href)
			}
		}
	})
}
