package web_test

// The secret-sync family's rows of the access matrix (access_matrix_test.go)
// and a check that its lists show the own team's objects only.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/syncs"
	"switchboard/syncs/targets"
	"switchboard/web/webtest"
)

// htEachDialectSyncs is htEachDialect with the secret-sync family served.
func htEachDialectSyncs(t *testing.T, fn func(t *testing.T, env *webtest.Env)) {
	t.Helper()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, webtest.NewSyncs(t, d))
		})
	}
}

func mxKey() string { return "K_" + strings.ToUpper(strings.ReplaceAll(uuid.NewString()[:8], "-", "")) }

// syncSecret is a fresh secret of the role's team (dev, /); it returns its key.
func (f *mxFix) syncSecret(scope string) string {
	k, v := mxKey(), "matrix-value"
	if _, err := f.env.App.Syncs.CreateSecret(context.Background(), mxRoot, syncs.Scope{ProjectID: f.team(scope).ID, Environment: "dev", SecretPath: "/"},
		syncs.SecretInput{Key: k, Value: &v}); err != nil {
		f.t.Fatal(err)
	}
	return k
}

func (f *mxFix) syncAuth(scope string) string {
	a, err := f.env.App.Syncs.CreateAuth(context.Background(), mxRoot, syncs.AuthInput{WorkspaceID: f.team(scope).ID, Integration: "gitlab", AccessToken: "glpat-matrix-token"})
	if err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

func (f *mxFix) syncIntegration(scope string) string {
	env := "dev"
	in, err := f.env.App.Syncs.CreateIntegration(context.Background(), mxRoot, syncs.IntegrationInput{IntegrationAuthID: f.syncAuth(scope), SourceEnvironment: &env,
		Spec: targets.Spec{AppID: "1"}})
	if err != nil {
		f.t.Fatal(err)
	}
	return in.ID
}

func (f *mxFix) syncEnv(scope string) string {
	slug := "e" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	e, err := f.env.App.Syncs.CreateEnvironment(context.Background(), mxRoot, f.team(scope).ID, slug, slug)
	if err != nil {
		f.t.Fatal(err)
	}
	return e.ID
}

// teamPath builds a path around the role's team id.
func teamPath(format string) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		return mxReq{path: strings.ReplaceAll(format, "{}", f.team(role).ID)}
	}
}

// secretReq is a request on a fresh secret of the role's team, scoped in
// the body as Infisical's clients send it.
func secretReq(value bool) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		body := map[string]any{"projectId": f.team(role).ID, "environment": "dev", "secretPath": "/"}
		if value {
			body["secretValue"] = "changed-value"
		}
		return mxReq{path: "/api/v4/secrets/" + f.syncSecret(role), json: body}
	}
}

func envReq(f *mxFix, role string) mxReq {
	return mxReq{path: "/api/v1/workspace/" + f.team(role).ID + "/environments/" + f.syncEnv(role), json: map[string]any{"name": "Renamed"}}
}

func uiSecretForm(extra func(f *mxFix, role string, v url.Values)) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		v := url.Values{"team": {f.team(role).ID}, "env": {"dev"}, "path": {"/"}}
		extra(f, role, v)
		return mxReq{path: "", form: v}
	}
}

func atForm(path string, fn func(*mxFix, string) mxReq) func(*mxFix, string) mxReq {
	return func(f *mxFix, role string) mxReq {
		r := fn(f, role)
		r.path = path
		return r
	}
}

func mxSyncRows() []mxRow {
	newSecret := func(f *mxFix, role string) any {
		return map[string]any{"projectId": f.team(role).ID, "environment": "dev", "secretPath": "/", "secretValue": "matrix-value"}
	}
	return []mxRow{
		// Secrets, environments and folders (Infisical's JSON).
		{"GET", "/api/v4/secrets", teamPath("/api/v4/secrets?projectId={}&environment=dev&secretPath=/"), apiRead},
		{"POST", "/api/v4/secrets/batch", withJSON(at("/api/v4/secrets/batch"), func(f *mxFix, role string) any {
			return map[string]any{"projectId": f.team(role).ID, "environment": "dev", "secrets": []any{map[string]any{"secretKey": mxKey(), "secretValue": "v1"}}}
		}), apiWrite},
		{"POST", "/api/v4/secrets/:secretName", withJSON(func(*mxFix, string) mxReq { return mxReq{path: "/api/v4/secrets/" + mxKey()} }, newSecret), apiWrite},
		{"PATCH", "/api/v4/secrets/:secretName", secretReq(true), apiWrite},
		{"DELETE", "/api/v4/secrets/:secretName", secretReq(false), apiWrite},
		{"POST", "/api/v1/folders", withJSON(at("/api/v1/folders"), func(f *mxFix, role string) any {
			return map[string]any{"projectId": f.team(role).ID, "environment": "dev", "path": "/", "name": "f" + uuid.NewString()[:8]}
		}), apiWrite},
		{"POST", "/api/v1/workspace/:workspaceId/environments", withJSON(teamPath("/api/v1/workspace/{}/environments"), func(*mxFix, string) any {
			s := "e" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
			return map[string]any{"name": s, "slug": s}
		}), apiWrite},
		{"PATCH", "/api/v1/workspace/:workspaceId/environments/:id", envReq, apiWrite},
		{"DELETE", "/api/v1/workspace/:workspaceId/environments/:id", func(f *mxFix, role string) mxReq { r := envReq(f, role); r.json = nil; return r }, apiWrite},

		// Integration auths and integrations.
		{"GET", "/api/v1/workspace/:workspaceId/authorizations", teamPath("/api/v1/workspace/{}/authorizations"), apiRead},
		{"GET", "/api/v1/workspace/:workspaceId/integrations", teamPath("/api/v1/workspace/{}/integrations"), apiRead},
		{"POST", "/api/v1/integration-auth/access-token", withJSON(at("/api/v1/integration-auth/access-token"), func(f *mxFix, role string) any {
			return map[string]any{"workspaceId": f.team(role).ID, "integration": "gitlab", "accessToken": "glpat-matrix-token"}
		}), apiWrite},
		{"GET", "/api/v1/integration-auth/:id", on((*mxFix).syncAuth, "/api/v1/integration-auth/{}"), apiRead},
		{"DELETE", "/api/v1/integration-auth/:id", on((*mxFix).syncAuth, "/api/v1/integration-auth/{}"), apiWrite},
		{"POST", "/api/v1/integration", withJSON(at("/api/v1/integration"), func(f *mxFix, role string) any {
			return map[string]any{"integrationAuthId": f.syncAuth(role), "sourceEnvironment": "dev", "secretPath": "/", "appId": "1"}
		}), apiWrite},
		{"GET", "/api/v1/integration/:id", on((*mxFix).syncIntegration, "/api/v1/integration/{}"), apiRead},
		{"PATCH", "/api/v1/integration/:id", withJSON(on((*mxFix).syncIntegration, "/api/v1/integration/{}"), func(*mxFix, string) any {
			return map[string]any{"isActive": false}
		}), apiWrite},
		{"DELETE", "/api/v1/integration/:id", on((*mxFix).syncIntegration, "/api/v1/integration/{}"), apiWrite},
		{"POST", "/api/v1/integration/:id/sync", on((*mxFix).syncIntegration, "/api/v1/integration/{}/sync"), apiWrite},

		// The browser's Secrets and Secret syncs pages.
		{"GET", "/secrets", teamPath("/secrets?team={}&env=dev&path=/"), uiObject},
		{"POST", "/secrets", atForm("/secrets", uiSecretForm(func(_ *mxFix, _ string, v url.Values) {
			v.Set("key", mxKey())
			v.Set("value", "matrix-value")
		})), uiAction},
		{"POST", "/secrets/import", atForm("/secrets/import", uiSecretForm(func(_ *mxFix, _ string, v url.Values) {
			v.Set("dotenv", mxKey()+"=matrix-value\n")
		})), uiAction},
		{"POST", "/secrets/delete", atForm("/secrets/delete", uiSecretForm(func(f *mxFix, role string, v url.Values) {
			v.Set("key", f.syncSecret(role))
		})), uiAction},
		{"GET", "/secret-syncs", teamPath("/secret-syncs?team={}"), uiObject},
		{"POST", "/secret-syncs", withForm(at("/secret-syncs"), func(f *mxFix, role string) url.Values {
			return url.Values{"team": {f.team(role).ID}, "auth": {f.syncAuth(role)}, "env": {"dev"}, "path": {"/"}, "appId": {"1"}}
		}), uiAction},
		{"POST", "/secret-syncs/auths", withForm(at("/secret-syncs/auths"), func(f *mxFix, role string) url.Values {
			return url.Values{"team": {f.team(role).ID}, "integration": {"gitlab"}, "access_token": {"glpat-matrix-token"}}
		}), uiAction},
		{"GET", "/secret-syncs/:id", on((*mxFix).syncIntegration, "/secret-syncs/{}"), uiObject},
		{"POST", "/secret-syncs/:id/sync", on((*mxFix).syncIntegration, "/secret-syncs/{}/sync"), uiAction},
		{"POST", "/secret-syncs/:id/active", withForm(on((*mxFix).syncIntegration, "/secret-syncs/{}/active"), func(*mxFix, string) url.Values {
			return url.Values{"active": {"false"}}
		}), uiAction},
		{"POST", "/secret-syncs/:id/delete", on((*mxFix).syncIntegration, "/secret-syncs/{}/delete"), uiAction},
		{"GET", "/secret-syncs/:id/confirm/delete", on((*mxFix).syncIntegration, "/secret-syncs/{}/confirm/delete"), uiObject},
		{"GET", "/secret-syncs/new", teamPath("/secret-syncs/new?team={}"), uiObject},
		{"POST", "/secret-syncs/auths/connection", withForm(at("/secret-syncs/auths/connection"), func(f *mxFix, role string) url.Values {
			return url.Values{"team": {f.team(role).ID}, "connection": {f.gitlabConnection(role)}, "integration": {"gitlab"}}
		}), uiAction},
		{"GET", "/secrets/confirm/delete", func(f *mxFix, role string) mxReq {
			return mxReq{path: "/secrets/confirm/delete?" + url.Values{"team": {f.team(role).ID}, "env": {"dev"}, "path": {"/"}, "key": {f.syncSecret(role)}}.Encode()}
		}, uiObject},
		{"POST", "/secrets/environments", withForm(at("/secrets/environments"), func(f *mxFix, role string) url.Values {
			s := "e" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
			return url.Values{"team": {f.team(role).ID}, "name": {s}, "slug": {s}}
		}), uiAction},
		{"POST", "/secrets/environments/:id", withForm(on((*mxFix).syncEnv, "/secrets/environments/{}"), func(f *mxFix, role string) url.Values {
			return url.Values{"team": {f.team(role).ID}, "name": {"Renamed"}}
		}), uiAction},
		{"GET", "/secrets/environments/:id/confirm/delete", func(f *mxFix, role string) mxReq {
			return mxReq{path: "/secrets/environments/" + f.syncEnv(role) + "/confirm/delete?team=" + f.team(role).ID}
		}, uiObject},
		{"POST", "/secrets/environments/:id/delete", func(f *mxFix, role string) mxReq {
			return mxReq{path: "/secrets/environments/" + f.syncEnv(role) + "/delete?team=" + f.team(role).ID}
		}, uiAction},
	}
}

// gitlabConnection is a fresh Infisical GitLab app connection of the role's team.
func (f *mxFix) gitlabConnection(scope string) string {
	return f.create(&integrations.AppConnectionInput{App: "gitlab", Method: "access-token", Name: "gl-" + uuid.NewString()[:8], ProjectID: f.team(scope).ID,
		Credentials: map[string]any{"accessToken": "glpat-matrix-0001", "instanceUrl": "https://gitlab.invalid", "accessTokenType": "project"}})
}

// TestAccessMatrix_SyncsLists: the family's lists, JSON and pages, show the
// own team's objects and never another team's; an admin sees each team's
// on that team's page. On SQLite and PostgreSQL.
func TestAccessMatrix_SyncsLists(t *testing.T) {
	htEachDialectSyncs(t, func(t *testing.T, env *webtest.Env) {
		f := &mxFix{t: t, env: env, own: env.CreateTeam("own"), other: env.CreateTeam("other")}
		env.CreateUser("admin@example.com", "admin")
		env.CreateUser("support@example.com", "support", "own")
		admin, _ := htSignIn(t, env, "admin@example.com")
		support, _ := htSignIn(t, env, "support@example.com")
		rw := env.CreateToken(f.own.ID, false)
		ownKey, otherKey := f.syncSecret(mxOwn), f.syncSecret(mxOther)
		ownSync, otherSync := f.syncIntegration(mxOwn), f.syncIntegration(mxOther)
		ownAuth, otherAuth := f.syncAuth(mxOwn), f.syncAuth(mxOther)

		check := func(name, body string, want, notWant []string) {
			t.Helper()
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s does not show %s", name, w)
				}
			}
			for _, w := range notWant {
				if strings.Contains(body, w) {
					t.Errorf("%s shows another team's %s", name, w)
				}
			}
		}
		_, _, raw := env.API(http.MethodGet, "/api/v4/secrets?projectId="+f.own.ID+"&environment=dev&secretPath=/", rw, nil)
		check("GET /api/v4/secrets", raw, []string{ownKey}, []string{otherKey})
		_, _, raw = env.API(http.MethodGet, "/api/v1/workspace/"+f.own.ID+"/integrations", rw, nil)
		check("the project's integrations", raw, []string{ownSync}, []string{otherSync})
		_, _, raw = env.API(http.MethodGet, "/api/v1/workspace/"+f.own.ID+"/authorizations", rw, nil)
		check("the project's authorizations", raw, []string{ownAuth}, []string{otherAuth})
		if resp, _, _ := env.API(http.MethodGet, "/api/v1/workspace/"+f.other.ID+"/integrations", rw, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another project's integrations = %d, want 404", resp.StatusCode)
		}

		for _, path := range []string{"/secrets", "/secrets?team=" + f.own.ID + "&env=dev"} {
			resp, body := support.Get(path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", path, resp.StatusCode)
			}
			check("support's "+path, body, []string{ownKey}, []string{otherKey, f.other.ID})
		}
		for _, path := range []string{"/secret-syncs", "/secret-syncs?team=" + f.own.ID} {
			_, body := support.Get(path)
			check("support's "+path, body, []string{ownSync}, []string{otherSync, f.other.ID})
		}
		_, body := admin.Get("/secrets?team=" + f.other.ID + "&env=dev")
		check("the admin's page of the other team", body, []string{otherKey}, []string{ownKey})
		_, body = admin.Get("/secret-syncs?team=" + f.other.ID)
		check("the admin's syncs of the other team", body, []string{otherSync}, []string{ownSync})
	})
}
