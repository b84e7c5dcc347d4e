package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// pipelineFamily is one JSON family's create route and bodies for the
// kinds of bad request TestCreatePipeline_SameAnswers sends.
type pipelineFamily struct {
	name string
	path string
	// valid is a body that creates; invalid one with a field error.
	valid, invalid func(env *webtest.Env, nodeID string) any
	// unknownTeam names a team (or a node, for node keys) that does not
	// exist; nil when the family's body has no team member (its team is
	// the token's).
	unknownTeam func() any
	// want is the status of each kind of request.
	wantReadOnlyInvalid, wantUnknownTeam, wantDuplicate, wantInvalid int
}

func pipelineFamilies(t *testing.T) []pipelineFamily {
	opToken := newOPToken(t).Token
	return []pipelineFamily{
		{
			name: "node keys", path: "/api/v1/integrations",
			valid:               func(_ *webtest.Env, node string) any { return map[string]any{"node_id": node, "name": "k"} },
			invalid:             func(_ *webtest.Env, node string) any { return map[string]any{"node_id": node, "name": ""} },
			unknownTeam:         func() any { return map[string]any{"node_id": uuid.NewString(), "name": "k"} },
			wantReadOnlyInvalid: 403, wantUnknownTeam: 404, wantDuplicate: 409, wantInvalid: 400,
		},
		{
			name: "1Password (Anchor)", path: "/v1/integrations",
			valid: func(*webtest.Env, string) any {
				return map[string]any{"name": "op", "type": "1PASSWORD", "credentials": map[string]any{"type": "serviceAccount", "data": map[string]any{"serviceAccount": opToken}}}
			},
			invalid: func(*webtest.Env, string) any {
				return map[string]any{"name": "op", "type": "1PASSWORD", "credentials": map[string]any{"type": "serviceAccount", "data": map[string]any{"serviceAccount": "not-a-token"}}}
			},
			// Anchor has no unique name: a second create with one succeeds.
			wantReadOnlyInvalid: 403, wantDuplicate: 200, wantInvalid: 400,
		},
		{
			name: "Infisical app connections", path: "/api/v1/app-connections/1password",
			valid: func(*webtest.Env, string) any {
				return map[string]any{"name": "vault", "method": "api-token", "credentials": map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}}
			},
			invalid: func(*webtest.Env, string) any {
				return map[string]any{"name": "Not A Slug", "method": "api-token", "credentials": map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}}
			},
			unknownTeam: func() any {
				return map[string]any{"name": "vault2", "method": "api-token", "projectId": uuid.NewString(), "credentials": map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://1pass.invalid"}}
			},
			// Infisical answers a duplicate name with 400 and schema failures with 422.
			wantReadOnlyInvalid: 403, wantUnknownTeam: 404, wantDuplicate: 400, wantInvalid: 422,
		},
		{
			name: "LaunchDarkly configurations", path: "/api/v2/integration-configurations/keys/honeycomb",
			valid: func(*webtest.Env, string) any {
				return map[string]any{"name": "hc", "configValues": map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789"}}
			},
			invalid: func(*webtest.Env, string) any {
				return map[string]any{"name": "hc", "configValues": map[string]any{"datasetName": "prod"}}
			},
			wantReadOnlyInvalid: 403, wantDuplicate: 409, wantInvalid: 400,
		},
	}
}

// TestCreatePipeline_SameAnswers sends the same kinds of bad request to
// every family's create: one pipeline means one order of checks, so a
// read-only token with an invalid body is refused as read-only (403)
// everywhere, before its body is judged; and nothing is stored by any
// refused request.
func TestCreatePipeline_SameAnswers(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			for _, f := range pipelineFamilies(t) {
				t.Run(f.name, func(t *testing.T) {
					team := env.CreateTeam("t-" + uuid.NewString()[:8])
					node := env.CreateNode(team.ID, "n").ID
					rw, ro := env.CreateToken(team.ID, false), env.CreateToken(team.ID, true)
					check := func(kind, token string, body any, want int) {
						t.Helper()
						resp, _, raw := env.API(http.MethodPost, f.path, token, body)
						if resp.StatusCode != want {
							t.Errorf("%s: status %d, want %d; body %.300s", kind, resp.StatusCode, want, raw)
						}
					}
					check("read-only token, invalid body", ro, f.invalid(env, node), f.wantReadOnlyInvalid)
					check("read-only token, malformed JSON", ro, `{"name":`, f.wantReadOnlyInvalid)
					check("read-only token, valid body", ro, f.valid(env, node), f.wantReadOnlyInvalid)
					check("invalid field", rw, f.invalid(env, node), f.wantInvalid)
					if f.unknownTeam != nil {
						check("unknown team", rw, f.unknownTeam(), f.wantUnknownTeam)
					}
					rows, err := env.Store.ListIntegrations(t.Context(), db.IntegrationFilter{TeamIDs: []string{team.ID}, Limit: 500})
					if err != nil || len(rows) != 0 {
						t.Fatalf("refused requests stored %d rows (%v), want none", len(rows), err)
					}
					resp, _, raw := env.API(http.MethodPost, f.path, rw, f.valid(env, node))
					if resp.StatusCode/100 != 2 {
						t.Fatalf("valid create: status %d; body %.300s", resp.StatusCode, raw)
					}
					check("duplicate name", rw, f.valid(env, node), f.wantDuplicate)
					if strings.Contains(raw, "internal") {
						t.Errorf("valid create body mentions an internal error: %s", raw)
					}
				})
			}
		})
	}
}
