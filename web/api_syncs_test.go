package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"switchboard/db/dbtest"
	"switchboard/syncs/targets/standin"
	"switchboard/web/webtest"
)

func drainSyncs(t *testing.T, env *webtest.Env) {
	t.Helper()
	for i := 0; ; i++ {
		ran, err := env.App.SyncEngine.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("RunOnce: %v", err)
		}
		if !ran {
			return
		}
		if i > 50 {
			t.Fatal("the sync queue never empties")
		}
	}
}

// seedBody is the seed's curl body for POST /api/v1/integration, with every
// member the seed lists (the "<string>" placeholders filled for GitHub).
func seedBody(authID string) map[string]any {
	return map[string]any{
		"integrationAuthId": authID, "app": "payments", "isActive": true, "appId": "", "secretPath": "/", "sourceEnvironment": "dev",
		"targetEnvironment": "", "targetEnvironmentId": "", "targetService": "", "targetServiceId": "", "owner": "acme", "path": "",
		"region": "", "scope": "",
		"metadata": map[string]any{"secretPrefix": "", "secretSuffix": "", "initialSyncBehavior": "overwrite-target", "shouldAutoRedeploy": true,
			"secretGCPLabel": map[string]any{"labelName": "x", "labelValue": "y"}, "secretAWSTag": []any{}, "kmsKeyId": ""},
	}
}

// TestAPISyncs_Seed: the seed's request answers 200 in the seed's shape
// (plus isSynced and syncMessage) and the team's secrets arrive at the target.
func TestAPISyncs_Seed(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.NewSyncs(t, d)
			team := env.CreateTeam("payments")
			token := env.CreateToken(team.ID, false)
			gh := &standin.GitHub{Token: "ghp_seedtoken123"}
			srv := httptest.NewServer(gh)
			defer srv.Close()

			resp, body, raw := env.API(http.MethodPost, "/api/v4/secrets/DB_PASSWORD", token, map[string]any{"projectId": team.ID, "environment": "dev", "secretPath": "/", "secretValue": "hunter2-hunter2"})
			if sec, _ := body["secret"].(map[string]any); resp.StatusCode != http.StatusOK || sec["secretValue"] != "<hidden-by-infisical>" || strings.Contains(raw, "hunter2") {
				t.Fatalf("create secret = %d %s", resp.StatusCode, raw)
			}
			resp, body, raw = env.API(http.MethodPost, "/api/v1/integration-auth/access-token", token, map[string]any{"workspaceId": team.ID, "integration": "github", "accessToken": "ghp_seedtoken123", "url": srv.URL})
			if resp.StatusCode != http.StatusOK || strings.Contains(raw, "ghp_seedtoken123") {
				t.Fatalf("create auth = %d %s", resp.StatusCode, raw)
			}
			authID := body["integrationAuth"].(map[string]any)["id"].(string)

			resp, body, raw = env.API(http.MethodPost, "/api/v1/integration", token, seedBody(authID))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("seed create = %d %s", resp.StatusCode, raw)
			}
			integ, ok := body["integration"].(map[string]any)
			if !ok || len(body) != 1 {
				t.Fatalf("body = %s, want {\"integration\":{…}}", raw)
			}
			for _, f := range []string{"id", "isActive", "url", "app", "appId", "targetEnvironment", "targetEnvironmentId", "targetService", "targetServiceId",
				"owner", "path", "region", "scope", "integration", "metadata", "integrationAuthId", "envId", "secretPath", "createdAt", "updatedAt", "lastUsed", "isSynced", "syncMessage"} {
				if _, ok := integ[f]; !ok {
					t.Errorf("integration has no %q", f)
				}
			}
			if integ["integrationAuthId"] != authID || integ["isActive"] != true || integ["secretPath"] != "/" || integ["integration"] != "github" {
				t.Errorf("integration = %s", raw)
			}
			drainSyncs(t, env)
			if got := gh.Secrets("acme/payments")["DB_PASSWORD"]; got != "hunter2-hunter2" {
				t.Errorf("GitHub DB_PASSWORD = %q, want the secret's value", got)
			}
			id := integ["id"].(string)
			_, body, raw = env.API(http.MethodGet, "/api/v1/integration/"+id, token, nil)
			if got := body["integration"].(map[string]any); got["isSynced"] != true || got["lastUsed"] == nil {
				t.Errorf("after the sync: %s", raw)
			}
			// Sync now queues a run; a change of the secret reaches the target.
			env.API(http.MethodPatch, "/api/v4/secrets/DB_PASSWORD", token, map[string]any{"projectId": team.ID, "environment": "dev", "secretValue": "changed-value-2"})
			drainSyncs(t, env)
			if got := gh.Secrets("acme/payments")["DB_PASSWORD"]; got != "changed-value-2" {
				t.Errorf("after the change GitHub DB_PASSWORD = %q", got)
			}
			resp, _, raw = env.API(http.MethodPost, "/api/v1/integration/"+id+"/sync", token, nil)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("sync now = %d %s", resp.StatusCode, raw)
			}
			_, body, _ = env.API(http.MethodGet, "/api/v1/workspace/"+team.ID+"/integrations", token, nil)
			if list, _ := body["integrations"].([]any); len(list) != 1 {
				t.Errorf("project list = %v, want one integration", body)
			}
		})
	}
}

// TestAPISyncs_Errors: Infisical's error shapes and statuses.
func TestAPISyncs_Errors(t *testing.T) {
	env := webtest.NewSyncs(t, "sqlite")
	team := env.CreateTeam("payments")
	other := env.CreateTeam("other")
	token := env.CreateToken(team.ID, false)
	ro := env.CreateToken(team.ID, true)
	otherTok := env.CreateToken(other.ID, false)
	_, body, _ := env.API(http.MethodPost, "/api/v1/integration-auth/access-token", token, map[string]any{"workspaceId": team.ID, "integration": "gitlab", "accessToken": "glpat-x"})
	authID := body["integrationAuth"].(map[string]any)["id"].(string)
	missing := "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		errName, msg              string
	}{
		{"schema", "POST", "/api/v1/integration", token, map[string]any{"integrationAuthId": 5, "sourceEnvironment": "dev"}, 422, "ValidationFailure", "integrationAuthId"},
		{"unknown auth", "POST", "/api/v1/integration", token, map[string]any{"integrationAuthId": missing, "sourceEnvironment": "dev", "appId": "1"}, 404, "NotFound", "Integration auth with ID '" + missing + "' not found"},
		{"other team's auth", "POST", "/api/v1/integration", otherTok, map[string]any{"integrationAuthId": authID, "sourceEnvironment": "dev", "appId": "1"}, 404, "NotFound", "not found"},
		{"missing folder", "POST", "/api/v1/integration", token, map[string]any{"integrationAuthId": authID, "sourceEnvironment": "dev", "secretPath": "/nope", "appId": "1"}, 404, "NotFound", "Folder with path '/nope'"},
		{"target field", "POST", "/api/v1/integration", token, map[string]any{"integrationAuthId": authID, "sourceEnvironment": "dev"}, 422, "ValidationFailure", "appId"},
		{"read-only", "POST", "/api/v1/integration", ro, map[string]any{"integrationAuthId": authID, "sourceEnvironment": "dev", "appId": "1"}, 403, "PermissionDenied", "read-only"},
		{"bad key", "POST", "/api/v4/secrets/bad key!", token, map[string]any{"projectId": team.ID, "environment": "dev", "secretValue": "v"}, 422, "ValidationFailure", "secretName"},
		{"other project", "GET", "/api/v4/secrets?projectId=" + other.ID + "&environment=dev", token, nil, 404, "NotFound", "Project with ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, raw := env.API(tc.method, tc.path, tc.token, tc.body)
			if resp.StatusCode != tc.status || body["error"] != tc.errName || !strings.Contains(raw, tc.msg) || body["reqId"] == nil {
				t.Errorf("%s %s = %d %s, want %d %s mentioning %q", tc.method, tc.path, resp.StatusCode, raw, tc.status, tc.errName, tc.msg)
			}
		})
	}
	if n := htCount(t, env, "secret_integrations"); n != 0 {
		t.Errorf("refused creates left %d integrations", n)
	}
}
