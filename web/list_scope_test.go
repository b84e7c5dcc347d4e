package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// TestAccessMatrix_ListContents puts one integration of every provider in
// two teams, then reads every list (each JSON family's, with its filters,
// and the browser's) as the own team's token or support user: each must
// hold the own team's object and never the other team's. A list that
// dropped its team filter answers 200 all the same, so only its contents
// can show it.
func TestAccessMatrix_ListContents(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			ctx := context.Background()
			own, other := env.CreateTeam("own"), env.CreateTeam("other")
			create := func(in integrations.Input) *integrations.Record {
				t.Helper()
				c, err := env.App.Services.Create(ctx, mxRoot, in, nil)
				if err != nil {
					t.Fatal(err)
				}
				return c.Record
			}
			type made struct{ node, op, conn, ld *integrations.Record }
			make4 := func(teamID, tag string) made {
				return made{
					node: create(&integrations.NodeKeyInput{NodeID: env.CreateNode(teamID, "n-"+tag).ID, Name: "key-" + tag}),
					op:   create(&integrations.OnePasswordInput{TeamID: teamID, Name: "op-" + tag, Token: newOPToken(t).Token}),
					conn: create(&integrations.AppConnectionInput{App: "1password", Method: "api-token", Name: "conn-" + tag, ProjectID: teamID,
						Credentials: map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}}),
					ld: create(&integrations.LDConfigInput{IntegrationKey: "honeycomb", TeamID: teamID, Name: "ld-" + tag,
						ConfigValues: map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789"}}),
				}
			}
			mine, theirs := make4(own.ID, "mine-"+uuid.NewString()[:6]), make4(other.ID, "theirs-"+uuid.NewString()[:6])
			token := env.CreateToken(own.ID, true)

			lists := []struct {
				name       string
				path       string
				mine, them *integrations.Record
			}{
				{"node keys", "/api/v1/integrations", mine.node, theirs.node},
				{"1Password (Anchor)", "/v1/integrations", mine.op, theirs.op},
				{"Infisical, every app", "/api/v1/app-connections", mine.conn, theirs.conn},
				{"Infisical, one app", "/api/v1/app-connections/1password", mine.conn, theirs.conn},
				{"LaunchDarkly, one integration key", "/api/v2/integration-configurations/keys/honeycomb", mine.ld, theirs.ld},
			}
			for _, l := range lists {
				resp, _, raw := env.API(http.MethodGet, l.path, token, nil)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: GET %s = %d; body %.200s", l.name, l.path, resp.StatusCode, raw)
					continue
				}
				if !strings.Contains(raw, l.mine.ID) {
					t.Errorf("%s: the own team's %s is missing from the list", l.name, l.mine.ID)
				}
				if strings.Contains(raw, l.them.ID) || strings.Contains(raw, l.them.Name) {
					t.Errorf("%s: the list shows another team's %s (%s)", l.name, l.them.ID, l.them.Name)
				}
			}

			env.CreateUser("support@example.com", sb.RoleSupport, "own")
			c := env.Client()
			c.SignIn("support@example.com")
			for _, p := range []string{"/integrations", "/nodes"} {
				resp, page := c.Get(p)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s = %d", p, resp.StatusCode)
				}
				if p == "/integrations" {
					for _, r := range []*integrations.Record{mine.node, mine.op, mine.conn, mine.ld} {
						if !strings.Contains(page, r.Name) {
							t.Errorf("%s: the own team's %s is missing", p, r.Name)
						}
					}
				}
				for _, r := range []*integrations.Record{theirs.node, theirs.op, theirs.conn, theirs.ld} {
					if strings.Contains(page, r.Name) || strings.Contains(page, r.ID) {
						t.Errorf("%s shows another team's %s", p, r.Name)
					}
				}
			}
		})
	}
}
