package web_test

// In-process HTTP tests of Infisical's app connections family
// (/api/v1/app-connections), held to
// ../shared/seeds/infisical-create-app-connection-1password.md: the seed's
// example request with only the base URL changed, the exact response key
// set, every documented status in Infisical's error body, PATCH versions,
// "Test connection" against the real PostgreSQL, and no secret in any later
// response, log line or database row. Helpers carry the inf prefix.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// infErr checks Infisical's error body ({"reqId","statusCode","message",
// "error"}, the message a list of zod issues on 422) and returns the failing field paths.
func infErr(t *testing.T, resp *http.Response, m map[string]any, raw string, wantStatus int, wantError string) []string {
	t.Helper()
	if resp.StatusCode != wantStatus {
		t.Errorf("status = %d, want %d; body %s", resp.StatusCode, wantStatus, raw)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type = %q, want application/json", resp.Header.Get("Content-Type"))
	}
	if m == nil {
		t.Fatalf("body is not a JSON object: %s", raw)
	}
	if m["error"] != wantError {
		t.Errorf("error = %v, want %q; body %s", m["error"], wantError, raw)
	}
	if m["statusCode"] != float64(wantStatus) {
		t.Errorf("statusCode = %v, want %d", m["statusCode"], wantStatus)
	}
	if id, _ := m["reqId"].(string); id == "" || id != resp.Header.Get("X-Request-Id") {
		t.Errorf("reqId = %v, want the request id %q", m["reqId"], resp.Header.Get("X-Request-Id"))
	}
	// Infisical's 422 (a zod failure) carries the issues as its message,
	// and no other member (the seed's schema has additionalProperties: false).
	issues, isList := m["message"].([]any)
	if wantStatus == http.StatusUnprocessableEntity {
		if !isList || len(issues) == 0 {
			t.Errorf("message = %v, want the list of validation issues", m["message"])
		}
	} else if msg, _ := m["message"].(string); msg == "" {
		t.Errorf("message = %v, want a non-empty string", m["message"])
	}
	allowed := []string{"reqId", "statusCode", "message", "error"}
	for k := range m {
		if !slices.Contains(allowed, k) {
			t.Errorf("error body has an unexpected key %q", k)
		}
	}
	var paths []string
	for _, issue := range issues {
		im, _ := issue.(map[string]any)
		parts, ok := im["path"].([]any)
		if !ok {
			t.Errorf("issue %v has no path list", im)
		}
		var ps []string
		for _, p := range parts {
			ps = append(ps, fmt.Sprint(p))
		}
		if msg, _ := im["message"].(string); msg == "" {
			t.Errorf("issue %v has no message", im)
		}
		if len(ps) > 0 {
			paths = append(paths, strings.Join(ps, "."))
		}
	}
	slices.Sort(paths)
	return paths
}

var (
	infTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	infHexRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// infConnKeys are the seed's appConnection properties.
var infConnKeys = []string{"app", "createdAt", "credentials", "credentialsHash", "description", "gatewayId", "id",
	"isPlatformManagedCredentials", "method", "name", "orgId", "project", "projectId", "updatedAt", "version"}

// infConn checks one appConnection object against the seed's response
// schema and returns it.
func infConn(t *testing.T, v any) map[string]any {
	t.Helper()
	c, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("appConnection = %v, want an object", v)
	}
	if got := htKeys(c); !slices.Equal(got, infConnKeys) {
		t.Errorf("appConnection keys = %v, want %v", got, infConnKeys)
	}
	for _, k := range []string{"id", "orgId"} {
		if s, _ := c[k].(string); uuid.Validate(s) != nil {
			t.Errorf("%s = %v, want a UUID", k, c[k])
		}
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if s, _ := c[k].(string); !infTimeRE.MatchString(s) {
			t.Errorf("%s = %v, want RFC 3339 with milliseconds and Z", k, c[k])
		}
	}
	if s, _ := c["credentialsHash"].(string); !infHexRE.MatchString(s) {
		t.Errorf("credentialsHash = %v, want 64 hex digits", c["credentialsHash"])
	}
	if c["isPlatformManagedCredentials"] != false || c["gatewayId"] != nil {
		t.Errorf("isPlatformManagedCredentials = %v, gatewayId = %v; want false and null", c["isPlatformManagedCredentials"], c["gatewayId"])
	}
	if _, ok := c["version"].(float64); !ok {
		t.Errorf("version = %v, want a number", c["version"])
	}
	p, _ := c["project"].(map[string]any)
	if got := htKeys(p); !slices.Equal(got, []string{"id", "name", "slug", "type"}) || p["type"] != "secret-manager" || p["id"] != c["projectId"] {
		t.Errorf("project = %v, want {name,id,type:secret-manager,slug} of projectId %v", p, c["projectId"])
	}
	if _, ok := c["credentials"].(map[string]any); !ok {
		t.Errorf("credentials = %v, want an object", c["credentials"])
	}
	return c
}

// infSeedBody is the seed's example request.
func infSeedBody(token string) map[string]any {
	return map[string]any{"name": "my-1password", "method": "api-token",
		"credentials": map[string]any{"apiToken": token, "instanceUrl": "https://1pass.example.com"}}
}

func infPGCreds(t *testing.T) map[string]any {
	t.Helper()
	u, err := url.Parse(dbtest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	port := 5432
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	pw, _ := u.User.Password()
	if pw == "" {
		pw = "pg-password-canary-a9e4" // the CI server trusts 127.0.0.1
	}
	return map[string]any{"host": u.Hostname(), "port": port, "database": strings.TrimPrefix(u.Path, "/"), "username": u.User.Username(),
		"password": pw, "sslEnabled": false, "sslRejectUnauthorized": false}
}

func TestAPIInfisical_PostSeedExample(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		token := env.CreateToken(team.ID, false)
		const apiToken = "connect-token-canary-3f9b"
		resp, body, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, infSeedBody(apiToken))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, raw)
		}
		if got := htKeys(body); !slices.Equal(got, []string{"appConnection"}) {
			t.Errorf("top-level keys = %v, want [appConnection]", got)
		}
		c := infConn(t, body["appConnection"])
		want := map[string]any{"name": "my-1password", "description": nil, "version": 1.0, "app": "1password", "method": "api-token", "projectId": team.ID}
		for k, v := range want {
			if c[k] != v {
				t.Errorf("%s = %v, want %v", k, c[k], v)
			}
		}
		if p := c["project"].(map[string]any); p["name"] != team.Name || p["slug"] != team.Slug {
			t.Errorf("project = %v, want the team %s", p, team.Slug)
		}
		creds := c["credentials"].(map[string]any)
		if got := htKeys(creds); !slices.Equal(got, []string{"instanceUrl"}) || creds["instanceUrl"] != "https://1pass.example.com" {
			t.Errorf("credentials = %v, want only instanceUrl", creds)
		}
		if strings.Contains(raw, apiToken) {
			t.Errorf("the create response carries the API token")
		}
		row, err := env.Store.IntegrationByID(context.Background(), c["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if c["credentialsHash"] != integrations.CredentialsHash(row.SecretCiphertext) {
			t.Errorf("credentialsHash is not the SHA-256 of the stored ciphertext")
		}
		org, _ := env.App.Services.OrgID(context.Background())
		if c["orgId"] != org {
			t.Errorf("orgId = %v, want the installation's %s", c["orgId"], org)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
		}
	})
}

func TestAPIInfisical_PostErrors(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		other := env.CreateTeam("ledger")
		token := env.CreateToken(team.ID, false)
		good := func() map[string]any { return infSeedBody("tok") }
		with := func(kv ...any) map[string]any {
			b := good()
			for i := 0; i < len(kv); i += 2 {
				b[kv[i].(string)] = kv[i+1]
			}
			return b
		}
		creds := func(kv ...any) map[string]any {
			c := map[string]any{"apiToken": "tok", "instanceUrl": "https://1pass.example.com"}
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "<delete>" {
					delete(c, kv[i].(string))
				} else {
					c[kv[i].(string)] = kv[i+1]
				}
			}
			return with("credentials", c)
		}
		tests := []struct {
			name   string
			body   any
			fields []string
		}{
			{"name missing", with("name", nil), []string{"name"}},
			{"name not a string", with("name", 12), []string{"name"}},
			{"name not a slug", with("name", "My Connection"), []string{"name"}},
			{"name too long", with("name", strings.Repeat("a", 65)), []string{"name"}},
			{"description too long", with("description", strings.Repeat("d", 257)), []string{"description"}},
			{"description not a string", with("description", true), []string{"description"}},
			{"platform managed", with("isPlatformManagedCredentials", true), []string{"isPlatformManagedCredentials"}},
			{"platform managed not a bool", with("isPlatformManagedCredentials", "no"), []string{"isPlatformManagedCredentials"}},
			{"gateway", with("gatewayId", uuid.NewString()), []string{"gatewayId"}},
			{"method missing", with("method", nil), []string{"method"}},
			{"method unknown", with("method", "oauth"), []string{"method"}},
			{"credentials missing", with("credentials", nil), []string{"credentials"}},
			{"credentials not an object", with("credentials", "tok"), []string{"credentials"}},
			{"api token missing", creds("apiToken", "<delete>"), []string{"credentials.apiToken"}},
			{"instance url invalid", creds("instanceUrl", "not a url"), []string{"credentials.instanceUrl"}},
			{"unknown credential key", creds("extra", "x"), []string{"credentials"}},
			{"several", with("name", "", "method", "x"), []string{"method", "name"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, tt.body)
				got := infErr(t, resp, m, raw, http.StatusUnprocessableEntity, "ValidationFailure")
				if !slices.Equal(got, tt.fields) {
					t.Errorf("failing fields = %v, want %v; body %s", got, tt.fields, raw)
				}
			})
		}
		t.Run("name message", func(t *testing.T) {
			_, m, _ := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, with("name", "Bad_Name"))
			if !strings.Contains(fmt.Sprint(m["message"]), "name field can only contain lowercase letters, numbers, and hyphens") {
				t.Errorf("message = %v, want Infisical's slug message among the issues", m["message"])
			}
		})
		t.Run("body not JSON", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, "{nope")
			infErr(t, resp, m, raw, http.StatusUnprocessableEntity, "ValidationFailure")
		})
		t.Run("okta pattern message", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/okta", token, map[string]any{"name": "okta", "method": "api-token",
				"credentials": map[string]any{"instanceUrl": "https://dev.okta.com", "apiToken": "okta-secret-canary"}})
			infErr(t, resp, m, raw, http.StatusUnprocessableEntity, "ValidationFailure")
			if !strings.Contains(raw, "Invalid Okta API Token format") || strings.Contains(raw, "okta-secret-canary") {
				t.Errorf("body %s: want the pattern message without the token", raw)
			}
		})
		t.Run("unknown app", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/github", token, good())
			infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		})
		t.Run("project of another team", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, with("projectId", other.ID))
			infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		})
		t.Run("project that does not exist", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, with("projectId", "nope"))
			infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		})
		t.Run("explicit own project", func(t *testing.T) {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, with("name", "own", "projectId", team.ID, "isPlatformManagedCredentials", false, "gatewayId", nil))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body %s", resp.StatusCode, raw)
			}
			infConn(t, m["appConnection"])
		})
		t.Run("duplicate name, also in another app", func(t *testing.T) {
			if resp, _, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, good()); resp.StatusCode != http.StatusOK {
				t.Fatalf("first create = %d %s", resp.StatusCode, raw)
			}
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/vercel", token, map[string]any{"name": "my-1password", "method": "api-token", "credentials": map[string]any{"apiToken": "v"}})
			infErr(t, resp, m, raw, http.StatusBadRequest, "BadRequest")
			if m["message"] != `An App Connection with the name "my-1password" already exists` {
				t.Errorf("message = %v, want Infisical's duplicate wording", m["message"])
			}
		})
		t.Run("read-only token", func(t *testing.T) {
			ro := env.CreateToken(team.ID, true)
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/1password", ro, with("name", "ro"))
			infErr(t, resp, m, raw, http.StatusForbidden, "PermissionDenied")
		})
	})
}

// TestAPIInfisical_DuplicateUnderConcurrency sends one name many times at
// once: exactly one create wins, every other gets the duplicate 400.
func TestAPIInfisical_DuplicateUnderConcurrency(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		token := env.CreateToken(team.ID, false)
		var wg sync.WaitGroup
		codes := make([]int, 10)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, _, _ := env.API(http.MethodPost, "/api/v1/app-connections/vercel", token, map[string]any{"name": "same", "method": "api-token", "credentials": map[string]any{"apiToken": "v"}})
				codes[i] = resp.StatusCode
			}()
		}
		wg.Wait()
		ok, dup := 0, 0
		for _, c := range codes {
			switch c {
			case http.StatusOK:
				ok++
			case http.StatusBadRequest:
				dup++
			}
		}
		if ok != 1 || dup != len(codes)-1 {
			t.Errorf("statuses = %v, want one 200 and the rest 400", codes)
		}
	})
}

func TestAPIInfisical_Unauthorized(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		for _, rq := range []struct{ method, path, token string }{
			{http.MethodPost, "/api/v1/app-connections/1password", ""},
			{http.MethodGet, "/api/v1/app-connections", ""},
			{http.MethodGet, "/api/v1/app-connections/options", ""},
			{http.MethodGet, "/api/v1/app-connections/1password/" + uuid.NewString(), "sbt_not-a-real-token"},
			{http.MethodPatch, "/api/v1/app-connections/1password/" + uuid.NewString(), ""},
			{http.MethodDelete, "/api/v1/app-connections/1password/" + uuid.NewString(), ""},
			{http.MethodPost, "/api/v1/app-connections/postgres/" + uuid.NewString() + "/test", ""},
		} {
			resp, m, raw := env.API(rq.method, rq.path, rq.token, infSeedBody("t"))
			infErr(t, resp, m, raw, http.StatusUnauthorized, "UnauthorizedError")
		}
	})
}

func TestAPIInfisical_GetListOptions(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		other := env.CreateTeam("ledger")
		token := env.CreateToken(team.ID, false)
		otherToken := env.CreateToken(other.ID, false)
		create := func(tok, app string, body map[string]any) map[string]any {
			t.Helper()
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/"+app, tok, body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("create %s = %d %s", app, resp.StatusCode, raw)
			}
			return infConn(t, m["appConnection"])
		}
		op := create(token, "1password", infSeedBody("t1"))
		pg := create(token, "postgres", map[string]any{"name": "a-orders", "method": "username-and-password", "description": "Orders", "credentials": infPGCreds(t)})
		theirs := create(otherToken, "vercel", map[string]any{"name": "theirs", "method": "api-token", "credentials": map[string]any{"apiToken": "v"}})

		resp, m, raw := env.API(http.MethodGet, "/api/v1/app-connections", token, nil)
		if resp.StatusCode != http.StatusOK || !slices.Equal(htKeys(m), []string{"appConnections"}) {
			t.Fatalf("list = %d %s", resp.StatusCode, raw)
		}
		list, _ := m["appConnections"].([]any)
		var got []string
		for _, c := range list {
			got = append(got, infConn(t, c)["name"].(string))
		}
		if !slices.Equal(got, []string{"a-orders", "my-1password"}) {
			t.Errorf("list = %v, want the team's two, by name (not the other team's)", got)
		}
		_, m, _ = env.API(http.MethodGet, "/api/v1/app-connections/postgres", token, nil)
		if l, _ := m["appConnections"].([]any); len(l) != 1 || infConn(t, l[0])["id"] != pg["id"] {
			t.Errorf("postgres list = %v, want the one postgres connection", m)
		}
		pgCreds := pg["credentials"].(map[string]any)
		if pgCreds["password"] != nil || pgCreds["port"] == nil || pgCreds["host"] == nil || pgCreds["sslEnabled"] != false {
			t.Errorf("postgres credentials = %v, want host, port, … and no password", pgCreds)
		}
		_, m, _ = env.API(http.MethodGet, "/api/v1/app-connections/okta", token, nil)
		if l, ok := m["appConnections"].([]any); !ok || len(l) != 0 {
			t.Errorf("okta list = %v, want an empty array", m)
		}
		resp, m, raw = env.API(http.MethodGet, "/api/v1/app-connections?projectId="+other.ID, token, nil)
		infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")

		resp, m, raw = env.API(http.MethodGet, "/api/v1/app-connections/1password/"+op["id"].(string), token, nil)
		if resp.StatusCode != http.StatusOK || infConn(t, m["appConnection"])["name"] != "my-1password" {
			t.Errorf("get = %d %s", resp.StatusCode, raw)
		}
		for _, path := range []string{
			"/api/v1/app-connections/postgres/" + op["id"].(string),         // the app in the URL is not the row's
			"/api/v1/app-connections/vercel/" + theirs["id"].(string),       // another team's
			"/api/v1/app-connections/1password/" + uuid.NewString(),         // no such id
			"/api/v1/app-connections/1password/not-a-uuid",                  // not an id
			"/api/v1/app-connections/github/" + op["id"].(string),           // unknown app
			"/api/v1/app-connections/github",                                // unknown app list
			"/api/v1/app-connections/1password/" + op["id"].(string) + "/x", // no such route
		} {
			resp, m, raw := env.API(http.MethodGet, path, token, nil)
			infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		}

		resp, m, raw = env.API(http.MethodGet, "/api/v1/app-connections/options", token, nil)
		if resp.StatusCode != http.StatusOK || !slices.Equal(htKeys(m), []string{"appConnectionOptions"}) {
			t.Fatalf("options = %d %s", resp.StatusCode, raw)
		}
		opts, _ := m["appConnectionOptions"].([]any)
		if len(opts) != len(integrations.InfisicalApps) {
			t.Errorf("%d options, want %d", len(opts), len(integrations.InfisicalApps))
		}
		seen := map[string]bool{}
		for _, o := range opts {
			om, _ := o.(map[string]any)
			if got := htKeys(om); !slices.Equal(got, []string{"app", "methods", "name"}) {
				t.Errorf("option keys = %v, want Infisical's [app methods name]", got)
			}
			seen[fmt.Sprint(om["app"])] = true
			if om["app"] == "aws" && fmt.Sprint(om["methods"]) != "[access-key assume-role]" {
				t.Errorf("aws methods = %v", om["methods"])
			}
			if om["app"] == "postgres" && om["name"] != "PostgreSQL" {
				t.Errorf("postgres name = %v", om["name"])
			}
		}
		if !seen["1password"] || !seen["hashicorp-vault"] || !seen["okta"] {
			t.Errorf("options lack apps: %v", seen)
		}
	})
}

func TestAPIInfisical_PatchDelete(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		other := env.CreateTeam("ledger")
		token := env.CreateToken(team.ID, false)
		otherToken := env.CreateToken(other.ID, false)
		const first, second = "patch-token-one-77aa", "patch-token-two-88bb"
		_, m, _ := env.API(http.MethodPost, "/api/v1/app-connections/1password", token, infSeedBody(first))
		c := infConn(t, m["appConnection"])
		id := c["id"].(string)
		path := "/api/v1/app-connections/1password/" + id
		patch := func(body any) (map[string]any, string) {
			t.Helper()
			resp, m, raw := env.API(http.MethodPatch, path, token, body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("PATCH %v = %d %s", body, resp.StatusCode, raw)
			}
			return infConn(t, m["appConnection"]), raw
		}

		got, _ := patch(map[string]any{"name": "renamed", "description": "Vault access"})
		if got["name"] != "renamed" || got["description"] != "Vault access" || got["version"] != 1.0 || got["credentialsHash"] != c["credentialsHash"] {
			t.Errorf("rename = %v; want renamed, described, version 1, same hash", got)
		}
		got, _ = patch(map[string]any{"credentials": map[string]any{"apiToken": first, "instanceUrl": "https://1pass.example.com"}})
		if got["version"] != 1.0 || got["credentialsHash"] != c["credentialsHash"] {
			t.Errorf("the same credentials again: version %v, hash changed %v; want no change", got["version"], got["credentialsHash"] != c["credentialsHash"])
		}
		got, _ = patch(map[string]any{"credentials": map[string]any{"instanceUrl": "https://1pass2.example.com"}})
		if got["version"] != 2.0 || got["credentialsHash"] == c["credentialsHash"] || got["credentials"].(map[string]any)["instanceUrl"] != "https://1pass2.example.com" {
			t.Errorf("new URL, token kept: %v; want version 2 and a new hash", got)
		}
		hash2 := got["credentialsHash"]
		got, _ = patch(map[string]any{"credentials": map[string]any{"apiToken": second, "instanceUrl": "https://1pass2.example.com"}})
		if got["version"] != 3.0 || got["credentialsHash"] == hash2 {
			t.Errorf("new token: version %v, want 3 and a new hash", got["version"])
		}
		got, _ = patch(map[string]any{"description": nil})
		if got["description"] != nil || got["version"] != 3.0 {
			t.Errorf("clear description: %v", got)
		}
		var sealed map[string]any
		row, _ := env.Store.IntegrationByID(context.Background(), id)
		if err := env.App.Services.OpenCredentials(&row.Integration, &sealed); err != nil || sealed["apiToken"] != second {
			t.Errorf("stored token = %v, %v; want the second one", sealed["apiToken"], err)
		}

		for _, tt := range []struct {
			name   string
			body   any
			fields []string
		}{
			{"bad name", map[string]any{"name": "Bad Name"}, []string{"name"}},
			{"bad url", map[string]any{"credentials": map[string]any{"instanceUrl": "x"}}, []string{"credentials.instanceUrl"}},
			{"unknown key", map[string]any{"credentials": map[string]any{"instanceUrl": "https://x.example", "other": 1}}, []string{"credentials"}},
			{"method change", map[string]any{"method": "oauth"}, []string{"method"}},
			{"project move", map[string]any{"projectId": other.ID}, []string{"projectId"}},
		} {
			resp, m, raw := env.API(http.MethodPatch, path, token, tt.body)
			if got := infErr(t, resp, m, raw, http.StatusUnprocessableEntity, "ValidationFailure"); !slices.Equal(got, tt.fields) {
				t.Errorf("%s: fields = %v, want %v", tt.name, got, tt.fields)
			}
		}
		env.API(http.MethodPost, "/api/v1/app-connections/1password", token, infSeedBody("x"))
		resp, m, raw := env.API(http.MethodPatch, path, token, map[string]any{"name": "my-1password"})
		infErr(t, resp, m, raw, http.StatusBadRequest, "BadRequest")
		for _, tok := range []string{otherToken} {
			resp, m, raw := env.API(http.MethodPatch, path, tok, map[string]any{"name": "stolen"})
			infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
			resp, m, raw = env.API(http.MethodDelete, path, tok, nil)
			infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		}
		resp, m, raw = env.API(http.MethodDelete, "/api/v1/app-connections/vercel/"+id, token, nil)
		infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")

		resp, m, raw = env.API(http.MethodDelete, path, token, nil)
		if resp.StatusCode != http.StatusOK || infConn(t, m["appConnection"])["id"] != id {
			t.Fatalf("delete = %d %s", resp.StatusCode, raw)
		}
		resp, m, raw = env.API(http.MethodGet, path, token, nil)
		infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		if _, err := env.Store.IntegrationByID(context.Background(), id); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("row after delete: err = %v, want not found", err)
		}
	})
}

func TestAPIInfisical_TestConnection(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		token := env.CreateToken(team.ID, false)
		create := func(name string, creds map[string]any) string {
			t.Helper()
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/postgres", token, map[string]any{"name": name, "method": "username-and-password", "credentials": creds})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("create = %d %s", resp.StatusCode, raw)
			}
			return infConn(t, m["appConnection"])["id"].(string)
		}
		dbtest.URL(t, db.Postgres) // skips (or, when required, fails) without PostgreSQL
		good := infPGCreds(t)
		const canary = "pg-wrong-canary-66d0"
		bad := infPGCreds(t)
		bad["username"], bad["password"] = "sb_no_such_role", canary
		goodID, badID := create("pg-good", good), create("pg-bad", bad)

		resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/postgres/"+goodID+"/test", token, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(fmt.Sprint(m["message"]), "SELECT 1 succeeded") {
			t.Fatalf("test = %d %s, want 200 with a summary", resp.StatusCode, raw)
		}
		infConn(t, m["appConnection"])

		resp, m, raw = env.API(http.MethodPost, "/api/v1/app-connections/postgres/"+badID+"/test", token, nil)
		infErr(t, resp, m, raw, http.StatusBadRequest, "BadRequest")
		if m["message"] != `Failed to validate credentials: role "sb_no_such_role" does not exist` || strings.Contains(raw, canary) {
			t.Errorf("failed test = %s, want PostgreSQL's refusal without the password", raw)
		}

		env.App.Services.Guard.AllowPrivate = false
		resp, m, raw = env.API(http.MethodPost, "/api/v1/app-connections/postgres/"+goodID+"/test", token, nil)
		env.App.Services.Guard.AllowPrivate = true
		infErr(t, resp, m, raw, http.StatusBadRequest, "BadRequest")
		if msg := fmt.Sprint(m["message"]); !strings.HasPrefix(msg, "Failed to validate credentials: refusing to connect to") || !strings.Contains(msg, "loopback") {
			t.Errorf("guarded test = %s, want the guard's refusal", raw)
		}

		_, m, _ = env.API(http.MethodPost, "/api/v1/app-connections/vercel", token, map[string]any{"name": "v", "method": "api-token", "credentials": map[string]any{"apiToken": "v"}})
		vid := infConn(t, m["appConnection"])["id"].(string)
		resp, m, raw = env.API(http.MethodPost, "/api/v1/app-connections/vercel/"+vid+"/test", token, nil)
		infErr(t, resp, m, raw, http.StatusBadRequest, "BadRequest")

		resp, m, raw = env.API(http.MethodPost, "/api/v1/app-connections/mysql/"+goodID+"/test", token, nil)
		infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		ro := env.CreateToken(team.ID, true)
		resp, m, raw = env.API(http.MethodPost, "/api/v1/app-connections/postgres/"+goodID+"/test", ro, nil)
		infErr(t, resp, m, raw, http.StatusForbidden, "PermissionDenied")

		dump := dumpDB(t, env.Store)
		if !strings.Contains(dump, "integration.test") || strings.Contains(dump, canary) {
			t.Errorf("the audit log lacks the tests, or holds the password")
		}
	})
}

// TestAPIInfisical_TestConnectionPassword tests a stored PostgreSQL
// connection against a server that checks passwords (.ci/run starts one):
// the right password passes, a wrong one answers PostgreSQL's refusal
// without the password.
func TestAPIInfisical_TestConnectionPassword(t *testing.T) {
	u := dbtest.PasswordURL(t)
	right, _ := u.User.Password()
	port, _ := strconv.Atoi(u.Port())
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		token := env.CreateToken(team.ID, false)
		const wrong = "pg-wrong-password-canary-4b7e"
		test := func(name, pw string) (*http.Response, map[string]any, string) {
			t.Helper()
			creds := map[string]any{"host": u.Hostname(), "port": port, "database": strings.TrimPrefix(u.Path, "/"), "username": u.User.Username(), "password": pw}
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/postgres", token, map[string]any{"name": name, "method": "username-and-password", "credentials": creds})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("create = %d %s", resp.StatusCode, raw)
			}
			id := infConn(t, m["appConnection"])["id"].(string)
			return env.API(http.MethodPost, "/api/v1/app-connections/postgres/"+id+"/test", token, nil)
		}
		resp, m, raw := test("right", right)
		if resp.StatusCode != http.StatusOK || strings.Contains(raw, right) {
			t.Errorf("right password: %d %s, want 200 without the password", resp.StatusCode, raw)
		}
		resp, m, raw = test("wrong", wrong)
		infErr(t, resp, m, raw, http.StatusBadRequest, "BadRequest")
		want := `Failed to validate credentials: password authentication failed for user "` + u.User.Username() + `"`
		if m["message"] != want || strings.Contains(raw, wrong) || strings.Contains(env.Logs.String(), wrong) {
			t.Errorf("wrong password: %s, want %q without the password in the body or the log", raw, want)
		}
	})
}

// TestAPIInfisical_NeverLeaks creates connections with secrets, reads,
// patches and tests them, and looks for each secret in every later
// response, the server log and a dump of every table.
func TestAPIInfisical_NeverLeaks(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		token := env.CreateToken(team.ID, false)
		canaries := map[string]string{
			"1password token": "leak-1password-token-c0ffee",
			"aws secret":      "leak-aws-secret-key-b16b00b5",
			"pg password":     "leak-pg-password-5eed",
			"patched token":   "leak-patched-token-f00d",
			"vault secret id": "leak-vault-secret-id-d00d",
		}
		bodies := []struct{ app, name, method string }{{"1password", "op", "api-token"}, {"aws", "aws", "access-key"}, {"postgres", "pg", "username-and-password"}, {"hashicorp-vault", "vault", "app-role"}}
		creds := []map[string]any{
			{"apiToken": canaries["1password token"], "instanceUrl": "https://1pass.example.com"},
			{"accessKeyId": "AKIAEXAMPLE", "secretAccessKey": canaries["aws secret"]},
			{"host": "127.0.0.1", "port": 1, "database": "x", "username": "u", "password": canaries["pg password"]},
			{"instanceUrl": "https://vault.example.com", "roleId": "role", "secretId": canaries["vault secret id"]},
		}
		ids := map[string]string{}
		for i, b := range bodies {
			resp, m, raw := env.API(http.MethodPost, "/api/v1/app-connections/"+b.app, token, map[string]any{"name": b.name, "method": b.method, "credentials": creds[i]})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("create %s = %d %s", b.app, resp.StatusCode, raw)
			}
			ids[b.app] = infConn(t, m["appConnection"])["id"].(string)
		}
		var later strings.Builder
		get := func(method, path string, body any) {
			_, _, raw := env.API(method, path, token, body)
			later.WriteString(raw)
		}
		get(http.MethodPatch, "/api/v1/app-connections/1password/"+ids["1password"], map[string]any{"credentials": map[string]any{"apiToken": canaries["patched token"], "instanceUrl": "https://1pass.example.com"}})
		get(http.MethodPatch, "/api/v1/app-connections/postgres/"+ids["postgres"], map[string]any{"description": "changed", "credentials": map[string]any{"host": "127.0.0.1", "port": 2, "database": "x", "username": "u"}})
		get(http.MethodPost, "/api/v1/app-connections/postgres/"+ids["postgres"]+"/test", nil)
		get(http.MethodGet, "/api/v1/app-connections", nil)
		for app, id := range ids {
			get(http.MethodGet, "/api/v1/app-connections/"+app, nil)
			get(http.MethodGet, "/api/v1/app-connections/"+app+"/"+id, nil)
		}
		get(http.MethodGet, "/api/v1/app-connections/options", nil)
		get(http.MethodDelete, "/api/v1/app-connections/aws/"+ids["aws"], nil)
		if !strings.Contains(later.String(), "credentialsHash") || !strings.Contains(later.String(), "Failed to validate credentials") {
			t.Fatalf("the later responses hold no connection or no test result: the scan would prove nothing")
		}
		dump := dumpDB(t, env.Store)
		if !strings.Contains(dump, "integration.rotate") || !strings.Contains(dump, "https://1pass.example.com") {
			t.Fatalf("the dump lacks audit rows or the returned fields: the scan would prove nothing")
		}
		for name, secret := range canaries {
			if strings.Contains(later.String(), secret) {
				t.Errorf("%s appears in a later response", name)
			}
			if strings.Contains(env.Logs.String(), secret) {
				t.Errorf("%s appears in the server log", name)
			}
			if strings.Contains(dump, secret) {
				t.Errorf("%s appears in the database dump", name)
			}
		}
	})
}
