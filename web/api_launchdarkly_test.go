package web_test

// In-process HTTP tests of LaunchDarkly's integration configurations family
// (/api/v2/integration-configurations), held to
// ../shared/seeds/launchdarkly-create-integration-configuration.md: the
// seed's example request against the shipped sample-integration manifest,
// the response key set, every documented status in LaunchDarkly's
// {"code","message"} body, generated values and key pairs, dependsOn, and
// secret values that appear only masked afterwards. Helpers carry the ld
// prefix. Every test runs on SQLite and PostgreSQL.

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// ldCall sends a request to the family with the token as a bare
// Authorization value (bare) or as Bearer.
func ldCall(t *testing.T, env *webtest.Env, method, path, token string, bare bool, body any) (*http.Response, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
	}
	req, _ := http.NewRequest(method, "http://127.0.0.1"+path, rd)
	switch {
	case token == "":
	case bare:
		req.Header.Set("Authorization", token)
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := env.App.Fiber.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m, string(b)
}

// ldErr checks LaunchDarkly's error body and returns its message.
func ldErr(t *testing.T, resp *http.Response, m map[string]any, raw string, wantStatus int, wantCode string) string {
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
	if len(m) != 2 {
		t.Errorf("error body keys = %v, want exactly code and message", keysOf(m))
	}
	if m["code"] != wantCode {
		t.Errorf("code = %v, want %q; body %s", m["code"], wantCode, raw)
	}
	msg, _ := m["message"].(string)
	if msg == "" {
		t.Errorf("message = %v, want a non-empty string", m["message"])
	}
	return msg
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const ldKeys = "/api/v2/integration-configurations/keys/"

// ldSeedBody is the seed's example request, unchanged: it fits the shipped
// sample-integration manifest.
const ldSeedBody = `{
  "name": "Example integration configuration",
  "configValues": {
    "optional": "an optional property",
    "required": "the required property",
    "url": "https://example.com"
  }
}`

func TestLaunchDarklyAPI_SeedExample(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		before := time.Now().Add(-time.Second)
		resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"sample-integration", token, true, ldSeedBody)
		// enabled: null, false and true, as LaunchDarkly reads them.
		for body, want := range map[string]bool{
			`{"name":"null enabled","enabled":null,"configValues":{"required":"r"}}`: true,
			`{"name":"disabled","enabled":false,"configValues":{"required":"r"}}`:    false,
			`{"name":"enabled","enabled":true,"configValues":{"required":"r"}}`:      true,
		} {
			if _, got, raw := ldCall(t, env, http.MethodPost, ldKeys+"sample-integration", token, true, body); got["enabled"] != want {
				t.Errorf("%s: enabled = %v, want %v; body %s", body, got["enabled"], want, raw)
			}
		}
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status = %d, want 201; body %s", resp.StatusCode, raw)
		}
		want := []string{"_access", "_createdAt", "_id", "_integrationKey", "_links", "capabilityConfig", "configValues", "enabled", "name", "tags"}
		if got := keysOf(m); !slices.Equal(got, want) {
			t.Errorf("response keys = %v, want %v", got, want)
		}
		id, _ := m["_id"].(string)
		if _, err := uuid.Parse(id); err != nil {
			t.Errorf("_id = %q, not a UUID", id)
		}
		if m["name"] != "Example integration configuration" || m["_integrationKey"] != "sample-integration" || m["enabled"] != true {
			t.Errorf("name/_integrationKey/enabled = %v/%v/%v", m["name"], m["_integrationKey"], m["enabled"])
		}
		if tags, ok := m["tags"].([]any); !ok || len(tags) != 0 {
			t.Errorf("tags = %v, want []", m["tags"])
		}
		ms, _ := m["_createdAt"].(float64)
		if created := time.UnixMilli(int64(ms)); created.Before(before) || created.After(time.Now().Add(time.Second)) {
			t.Errorf("_createdAt = %v (%v), want unix milliseconds of now", m["_createdAt"], created)
		}
		links, _ := m["_links"].(map[string]any)
		self, _ := links["self"].(map[string]any)
		parent, _ := links["parent"].(map[string]any)
		if self["href"] != "/api/v2/integration-configurations/"+id || parent["href"] != "/api/v2/integration-configurations/keys/sample-integration" {
			t.Errorf("_links = %v", links)
		}
		if self["type"] != "application/json" {
			t.Errorf("_links.self.type = %v", self["type"])
		}
		access, _ := m["_access"].(map[string]any)
		if _, ok := access["allowed"].([]any); !ok {
			t.Errorf("_access.allowed = %v, want a list", access["allowed"])
		}
		if _, ok := access["denied"].([]any); !ok {
			t.Errorf("_access.denied = %v, want a list", access["denied"])
		}
		cv, _ := m["configValues"].(map[string]any)
		wantCV := map[string]any{"optional": "an optional property", "required": "the required property", "url": "https://example.com", "secret": ""}
		for k, w := range wantCV {
			if cv[k] != w {
				t.Errorf("configValues.%s = %v, want %v (defaults applied to omitted optional fields)", k, cv[k], w)
			}
		}
		if _, ok := cv["color"]; ok {
			t.Errorf("configValues.color (a dynamicEnum, not available) = %v, want it absent", cv["color"])
		}
		if loc := resp.Header.Get("Location"); loc != "/api/v2/integration-configurations/"+id {
			t.Errorf("Location = %q", loc)
		}

		// The same token as Bearer reads it back, alone and in the list.
		resp, got, raw := ldCall(t, env, http.MethodGet, "/api/v2/integration-configurations/"+id, token, false, nil)
		if resp.StatusCode != http.StatusOK || got["_id"] != id || got["name"] != m["name"] {
			t.Fatalf("GET by id = %d %s", resp.StatusCode, raw)
		}
		resp, list, raw := ldCall(t, env, http.MethodGet, ldKeys+"sample-integration", token, true, nil)
		items, _ := list["items"].([]any)
		if resp.StatusCode != http.StatusOK || len(items) != 4 {
			t.Fatalf("list = %d %s, want four items", resp.StatusCode, raw)
		}
		found := false
		for _, it := range items {
			found = found || it.(map[string]any)["_id"] == id
		}
		if !found {
			t.Errorf("the list does not hold %s", id)
		}
		// Another integration key lists none of it.
		if _, list, _ := ldCall(t, env, http.MethodGet, ldKeys+"datadog", token, true, nil); len(list["items"].([]any)) != 0 {
			t.Errorf("datadog list = %v, want empty", list["items"])
		}
	})
}

// TestLaunchDarklyAPI_Statuses reaches every documented status.
func TestLaunchDarklyAPI_Statuses(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		other := env.CreateTeam("other")
		token := env.CreateToken(team.ID, false)
		readOnly := env.CreateToken(team.ID, true)
		otherToken := env.CreateToken(other.ID, false)
		body := map[string]any{"name": "Audit to Datadog", "configValues": map[string]any{"apiKey": "dd-0123456789abcdef"}}

		// 401: no token, a malformed one, a well-formed unknown one.
		for _, tok := range []string{"", "nonsense", "sbt_" + strings.Repeat("A", 40)} {
			resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"datadog", tok, true, body)
			ldErr(t, resp, m, raw, http.StatusUnauthorized, "unauthorized")
		}
		// 404: an integration key without a manifest, on create and list.
		resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"no-such-integration", token, true, body)
		if msg := ldErr(t, resp, m, raw, http.StatusNotFound, "not_found"); !strings.Contains(msg, "no-such-integration") {
			t.Errorf("404 message %q does not name the key", msg)
		}
		resp, m, raw = ldCall(t, env, http.MethodGet, ldKeys+"no-such-integration", token, true, nil)
		ldErr(t, resp, m, raw, http.StatusNotFound, "not_found")
		// 403: a read-only token may read but not write.
		resp, m, raw = ldCall(t, env, http.MethodPost, ldKeys+"datadog", readOnly, true, body)
		ldErr(t, resp, m, raw, http.StatusForbidden, "forbidden")
		// 400: bad input names the field.
		resp, m, raw = ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, map[string]any{"name": "x", "configValues": map[string]any{}})
		if msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, "configValues.apiKey") {
			t.Errorf("400 message %q does not name configValues.apiKey", msg)
		}
		// 201, then 409 for the same name under the same key, in any case.
		resp, created, raw := ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, body)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create = %d %s", resp.StatusCode, raw)
		}
		id := created["_id"].(string)
		dup := map[string]any{"name": "AUDIT TO DATADOG", "configValues": map[string]any{"apiKey": "dd-other-key-value"}}
		resp, m, raw = ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, false, dup)
		if msg := ldErr(t, resp, m, raw, http.StatusConflict, "conflict"); !strings.Contains(msg, "already exists") {
			t.Errorf("409 message %q", msg)
		}
		// The same name is free under another key and in another team.
		resp, _, raw = ldCall(t, env, http.MethodPost, ldKeys+"honeycomb", token, true,
			map[string]any{"name": "Audit to Datadog", "configValues": map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789"}})
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("same name under honeycomb = %d %s, want 201", resp.StatusCode, raw)
		}
		resp, _, raw = ldCall(t, env, http.MethodPost, ldKeys+"datadog", otherToken, true, body)
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("same name in another team = %d %s, want 201", resp.StatusCode, raw)
		}
		// Reads: the read-only token sees it, with update and delete denied.
		resp, m, raw = ldCall(t, env, http.MethodGet, "/api/v2/integration-configurations/"+id, readOnly, true, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("read-only GET = %d %s", resp.StatusCode, raw)
		}
		if denied, _ := m["_access"].(map[string]any)["denied"].([]any); len(denied) == 0 {
			t.Errorf("read-only _access.denied = %v, want the write actions", denied)
		}
		// 404: another team's id, an unknown id, a malformed id, an unknown route.
		for _, path := range []string{"/api/v2/integration-configurations/" + id, "/api/v2/integration-configurations/" + uuid.NewString(), "/api/v2/integration-configurations/not-an-id"} {
			tok := token
			if strings.HasSuffix(path, id) {
				tok = otherToken
			}
			resp, m, raw = ldCall(t, env, http.MethodGet, path, tok, true, nil)
			ldErr(t, resp, m, raw, http.StatusNotFound, "not_found")
			resp, m, raw = ldCall(t, env, http.MethodDelete, path, tok, true, nil)
			ldErr(t, resp, m, raw, http.StatusNotFound, "not_found")
		}
		resp, m, raw = ldCall(t, env, http.MethodGet, "/api/v2/integration-configurations/keys/datadog/extra", token, true, nil)
		ldErr(t, resp, m, raw, http.StatusNotFound, "not_found")
		// 403 on DELETE with the read-only token; 204 with the other; then 404.
		resp, m, raw = ldCall(t, env, http.MethodDelete, "/api/v2/integration-configurations/"+id, readOnly, true, nil)
		ldErr(t, resp, m, raw, http.StatusForbidden, "forbidden")
		resp, _, raw = ldCall(t, env, http.MethodDelete, "/api/v2/integration-configurations/"+id, token, true, nil)
		if resp.StatusCode != http.StatusNoContent || raw != "" {
			t.Errorf("DELETE = %d %q, want 204 with no body", resp.StatusCode, raw)
		}
		resp, m, raw = ldCall(t, env, http.MethodGet, "/api/v2/integration-configurations/"+id, token, true, nil)
		ldErr(t, resp, m, raw, http.StatusNotFound, "not_found")
		// After the delete the name is free again.
		resp, _, raw = ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, body)
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("re-create after delete = %d %s", resp.StatusCode, raw)
		}
	})
}

// TestLaunchDarklyAPI_BadBodies refuses malformed bodies and members and
// writes nothing.
func TestLaunchDarklyAPI_BadBodies(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		cases := []struct {
			name, body, wantField string
		}{
			{"not JSON", `{"name":`, "JSON"},
			{"an array", `[]`, "JSON object"},
			{"two objects", `{} {}`, "one JSON object"},
			{"unknown member", `{"name":"a","configValues":{"apiKey":"k-0123456789"},"owner":"me"}`, "owner"},
			{"name missing", `{"configValues":{"apiKey":"k-0123456789"}}`, "name"},
			{"name a number", `{"name":5,"configValues":{"apiKey":"k-0123456789"}}`, "name"},
			{"configValues missing", `{"name":"a"}`, "configValues"},
			{"configValues a list", `{"name":"a","configValues":[]}`, "configValues"},
			{"enabled a string", `{"name":"a","enabled":"yes","configValues":{"apiKey":"k-0123456789"}}`, "enabled"},
			{"tags not strings", `{"name":"a","tags":[1],"configValues":{"apiKey":"k-0123456789"}}`, "tags"},
			{"bad tag", `{"name":"a","tags":["has space"],"configValues":{"apiKey":"k-0123456789"}}`, "tags"},
			{"unknown config key", `{"name":"a","configValues":{"apiKey":"k-0123456789","region":"eu"}}`, "configValues.region"},
			{"capabilityConfig a string", `{"name":"a","configValues":{"apiKey":"k-0123456789"},"capabilityConfig":"x"}`, "capabilityConfig"},
			{"approvals without the capability", `{"name":"a","configValues":{"apiKey":"k-0123456789"},"capabilityConfig":{"approvals":{"additionalFormVariables":[]}}}`, "capabilityConfig.approvals"},
			{"unknown capability", `{"name":"a","configValues":{"apiKey":"k-0123456789"},"capabilityConfig":{"flagLink":{}}}`, "capabilityConfig.flagLink"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, tc.body)
				if msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, tc.wantField) {
					t.Errorf("message %q does not name %q", msg, tc.wantField)
				}
			})
		}
		if rows, _ := env.App.Services.List(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, integrations.ListFilter{}); len(rows) != 0 {
			t.Errorf("%d integrations stored after refused requests, want none", len(rows))
		}
	})
}

// TestLaunchDarklyAPI_CapabilityConfig checks statements and approvals.
func TestLaunchDarklyAPI_CapabilityConfig(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		post := func(key string, cfg map[string]any, values map[string]any) (*http.Response, map[string]any, string) {
			return ldCall(t, env, http.MethodPost, ldKeys+key, token, true, map[string]any{"name": "c-" + uuid.NewString()[:8], "configValues": values, "capabilityConfig": cfg})
		}
		dd := map[string]any{"apiKey": "dd-0123456789abcdef"}
		good := map[string]any{"auditLogEventsHook": map[string]any{"statements": []any{
			map[string]any{"effect": "allow", "resources": []any{"proj/*:env/production:flag/*", "proj/mobile;ios,android:env/*"}, "actions": []any{"*"}},
			map[string]any{"effect": "deny", "notResources": []any{"member/*"}, "notActions": []any{"updateOn", "delete*"}},
		}}}
		resp, m, raw := post("datadog", good, dd)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("good statements = %d %s", resp.StatusCode, raw)
		}
		hook, _ := m["capabilityConfig"].(map[string]any)["auditLogEventsHook"].(map[string]any)
		if sts, _ := hook["statements"].([]any); len(sts) != 2 {
			t.Errorf("capabilityConfig.auditLogEventsHook.statements = %v, want the two given", hook["statements"])
		}
		bad := []struct {
			name      string
			statement map[string]any
			field     string
		}{
			{"no effect", map[string]any{"resources": []any{"proj/*"}, "actions": []any{"*"}}, "statements[0].effect"},
			{"bad effect", map[string]any{"effect": "maybe", "resources": []any{"proj/*"}, "actions": []any{"*"}}, "statements[0].effect"},
			{"both resources", map[string]any{"effect": "allow", "resources": []any{"proj/*"}, "notResources": []any{"proj/x"}, "actions": []any{"*"}}, "statements[0].notResources"},
			{"no resources", map[string]any{"effect": "allow", "actions": []any{"*"}}, "statements[0].resources"},
			{"both actions", map[string]any{"effect": "allow", "resources": []any{"proj/*"}, "actions": []any{"*"}, "notActions": []any{"updateOn"}}, "statements[0].notActions"},
			{"no actions", map[string]any{"effect": "allow", "resources": []any{"proj/*"}}, "statements[0].actions"},
			{"flag under proj", map[string]any{"effect": "allow", "resources": []any{"proj/*:flag/*"}, "actions": []any{"*"}}, "statements[0].resources"},
			{"no slash", map[string]any{"effect": "allow", "resources": []any{"proj"}, "actions": []any{"*"}}, "statements[0].resources"},
			{"space in name", map[string]any{"effect": "allow", "resources": []any{"proj/my project"}, "actions": []any{"*"}}, "statements[0].resources"},
			{"bad action", map[string]any{"effect": "allow", "resources": []any{"proj/*"}, "actions": []any{"update on"}}, "statements[0].actions"},
			{"unknown member", map[string]any{"effect": "allow", "resources": []any{"proj/*"}, "actions": []any{"*"}, "role": "x"}, "statements[0].role"},
		}
		for _, tc := range bad {
			resp, m, raw := post("datadog", map[string]any{"auditLogEventsHook": map[string]any{"statements": []any{tc.statement}}}, dd)
			if msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, "capabilityConfig.auditLogEventsHook."+tc.field) {
				t.Errorf("%s: message %q does not name %s", tc.name, msg, tc.field)
			}
		}
		// Approvals: only where the manifest declares the capability, and
		// each additional form variable is checked like a manifest's.
		sn := map[string]any{"instanceUrl": "https://acme.service-now.com", "username": "ld", "password": "sn-password-0123"}
		approvals := map[string]any{"approvals": map[string]any{"additionalFormVariables": []any{
			map[string]any{"key": "changeGroup", "name": "Change group", "type": "string", "description": "Assignment group", "isOptional": true, "defaultValue": "CAB"},
		}}}
		resp, m, raw = post("servicenow", approvals, sn)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("servicenow approvals = %d %s", resp.StatusCode, raw)
		}
		if afv, _ := m["capabilityConfig"].(map[string]any)["approvals"].(map[string]any)["additionalFormVariables"].([]any); len(afv) != 1 {
			t.Errorf("approvals.additionalFormVariables = %v", afv)
		}
		for name, fv := range map[string]map[string]any{
			"default without isOptional": {"key": "g", "name": "G", "type": "string", "description": "d", "defaultValue": "x"},
			"secret boolean":             {"key": "g", "name": "G", "type": "boolean", "description": "d", "isSecret": true},
			"enum without values":        {"key": "g", "name": "G", "type": "enum", "description": "d"},
			"key too long":               {"key": strings.Repeat("k", 21), "name": "G", "type": "string", "description": "d"},
			"unknown type":               {"key": "g", "name": "G", "type": "number", "description": "d"},
		} {
			resp, m, raw := post("servicenow", map[string]any{"approvals": map[string]any{"additionalFormVariables": []any{fv}}}, sn)
			if msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, "capabilityConfig.approvals.additionalFormVariables") {
				t.Errorf("%s: message %q", name, msg)
			}
		}
	})
}

// TestLaunchDarklyAPI_GeneratedAndDependsOn checks the values Switchboard
// makes and fields shown or hidden by another's value.
func TestLaunchDarklyAPI_GeneratedAndDependsOn(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		post := func(key string, values map[string]any) (*http.Response, map[string]any, string) {
			return ldCall(t, env, http.MethodPost, ldKeys+key, token, true, map[string]any{"name": "c-" + uuid.NewString()[:8], "configValues": values})
		}
		// generated: an external id made by Switchboard, refused when given.
		arn := "arn:aws:cloudtrail:us-east-1:123456789012:channel/x"
		resp, m, raw := post("cloudtrail", map[string]any{"ingestionChannelArn": arn})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("cloudtrail = %d %s", resp.StatusCode, raw)
		}
		ext, _ := m["configValues"].(map[string]any)["externalId"].(string)
		if len(ext) < 24 {
			t.Errorf("externalId = %q, want a generated value", ext)
		}
		_, m2, _ := post("cloudtrail", map[string]any{"ingestionChannelArn": arn})
		if ext2, _ := m2["configValues"].(map[string]any)["externalId"].(string); ext2 == ext {
			t.Errorf("two configurations got the same external id %q", ext)
		}
		resp, m, raw = post("cloudtrail", map[string]any{"ingestionChannelArn": arn, "externalId": "mine"})
		if msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, "configValues.externalId") {
			t.Errorf("message %q", msg)
		}
		// publicKey: an RSA key pair; the public half in the response, the
		// private half sealed to the row and matching it.
		resp, m, raw = post("snowflake-experimentation", map[string]any{"snowflakeHostAddress": "https://acme.eu-west-1.snowflakecomputing.com"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("snowflake = %d %s", resp.StatusCode, raw)
		}
		pubB64, _ := m["configValues"].(map[string]any)["publicKey"].(string)
		der, err := base64.StdEncoding.DecodeString(pubB64)
		if err != nil {
			t.Fatalf("publicKey %q is not base64: %v", pubB64, err)
		}
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			t.Fatalf("publicKey is not a DER public key: %v", err)
		}
		rsaPub, ok := pub.(*rsa.PublicKey)
		if !ok || rsaPub.N.BitLen() != 2048 {
			t.Fatalf("publicKey is %T, want RSA-2048", pub)
		}
		if strings.Contains(raw, "PRIVATE KEY") {
			t.Errorf("the response carries a private key")
		}
		row, err := env.Store.IntegrationByID(context.Background(), m["_id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(row.SecretCiphertext), "PRIVATE KEY") || strings.Contains(row.Attrs, "PRIVATE KEY") {
			t.Errorf("the private key is stored in the clear")
		}
		var sealed struct {
			PrivateKeys map[string]string `json:"privateKeys"`
		}
		if err := env.App.Services.OpenCredentials(&row.Integration, &sealed); err != nil {
			t.Fatalf("open sealed values: %v", err)
		}
		block, _ := pem.Decode([]byte(sealed.PrivateKeys["publicKey"]))
		if block == nil {
			t.Fatalf("no sealed private key for publicKey")
		}
		priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatalf("sealed private key: %v", err)
		}
		if !priv.(*rsa.PrivateKey).PublicKey.Equal(rsaPub) {
			t.Errorf("the sealed private key does not match the public key")
		}
		// dependsOn: basic sign-in needs username and password; the OAuth
		// fields are not used then, and a value given for one is dropped.
		base := map[string]any{"instanceUrl": "https://acme.service-now.com"}
		with := func(extra map[string]any) map[string]any {
			out := map[string]any{}
			for k, v := range base {
				out[k] = v
			}
			for k, v := range extra {
				out[k] = v
			}
			return out
		}
		resp, m, raw = post("servicenow", with(nil))
		msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request")
		if !strings.Contains(msg, "configValues.username") || !strings.Contains(msg, "configValues.password") || strings.Contains(msg, "clientId") {
			t.Errorf("basic sign-in without credentials: message %q, want username and password named and not clientId", msg)
		}
		resp, m, raw = post("servicenow", with(map[string]any{"username": "ld", "password": "sn-password-0123", "clientId": "ignored"}))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("servicenow basic = %d %s", resp.StatusCode, raw)
		}
		cv := m["configValues"].(map[string]any)
		if _, ok := cv["clientId"]; ok {
			t.Errorf("clientId = %v is stored though authMethod is basic", cv["clientId"])
		}
		if cv["authMethod"] != "basic" || cv["username"] != "ld" {
			t.Errorf("configValues = %v", cv)
		}
		if w, _ := cv["webhookSecret"].(string); len(w) < 24 {
			t.Errorf("webhookSecret = %q, want a generated value", w)
		}
		resp, m, raw = post("servicenow", with(map[string]any{"authMethod": "oauth-client-credentials", "username": "ld"}))
		msg = ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request")
		if !strings.Contains(msg, "configValues.clientId") || !strings.Contains(msg, "configValues.clientSecret") || strings.Contains(msg, "configValues.password") {
			t.Errorf("oauth without client: message %q", msg)
		}
		// An unsupported field type takes no value, and is never required.
		resp, m, raw = post("pagerduty", map[string]any{"integrationKey": "pd-0123456789abcdef", "severity": "error", "projectAndEnv": "default/production"})
		if msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, "configValues.projectAndEnv") || !strings.Contains(msg, "not available") {
			t.Errorf("environmentSelector value: message %q", msg)
		}
		resp, m, raw = post("pagerduty", map[string]any{"integrationKey": "pd-0123456789abcdef", "severity": "error"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("pagerduty = %d %s", resp.StatusCode, raw)
		}
		if ef, _ := m["configValues"].(map[string]any)["eventFilter"].([]any); len(ef) != 2 {
			t.Errorf("eventFilter = %v, want the two default options", ef)
		}
	})
}

// TestLaunchDarklyAPI_SecretsMasked: a secret config value comes back only
// masked, from every route, and is nowhere in the logs, the audit rows or
// a dump of the database.
func TestLaunchDarklyAPI_SecretsMasked(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		secret := "dd-canary-" + uuid.NewString()
		short := "pw-123"
		resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true,
			map[string]any{"name": "Masked", "configValues": map[string]any{"apiKey": secret}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create = %d %s", resp.StatusCode, raw)
		}
		id := m["_id"].(string)
		wantMask := secret[:3] + strings.Repeat("*", len(secret)-6) + secret[len(secret)-3:]
		resp, sn, raw2 := ldCall(t, env, http.MethodPost, ldKeys+"servicenow", token, true,
			map[string]any{"name": "Short", "configValues": map[string]any{"instanceUrl": "https://a.service-now.com", "username": "u", "password": short}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("servicenow = %d %s", resp.StatusCode, raw2)
		}
		if got := sn["configValues"].(map[string]any)["password"]; got != "******" {
			t.Errorf("short secret masked as %v, want every character masked", got)
		}
		var bodies []string
		for _, path := range []string{"/api/v2/integration-configurations/" + id, ldKeys + "datadog"} {
			_, got, b := ldCall(t, env, http.MethodGet, path, token, true, nil)
			bodies = append(bodies, b)
			if strings.HasSuffix(path, id) && got["configValues"].(map[string]any)["apiKey"] != wantMask {
				t.Errorf("GET apiKey = %v, want %q", got["configValues"].(map[string]any)["apiKey"], wantMask)
			}
		}
		bodies = append(bodies, raw, raw2)
		if m["configValues"].(map[string]any)["apiKey"] != wantMask {
			t.Errorf("201 apiKey = %v, want %q", m["configValues"].(map[string]any)["apiKey"], wantMask)
		}
		c := htSignInAdmin(t, env)
		for _, p := range []string{"/integrations", "/integrations/" + id} {
			_, b := c.Get(p)
			bodies = append(bodies, b)
		}
		for _, b := range bodies {
			if strings.Contains(b, secret) || strings.Contains(b, short) {
				t.Errorf("a later response carries the secret: %.200s", b)
			}
		}
		if !strings.Contains(bodies[len(bodies)-1], wantMask) {
			t.Errorf("the detail page does not show the masked value %q", wantMask)
		}
		htNoSecretAnywhere(t, env, secret, short)
	})
}

// htSignInAdmin creates an admin and signs a client in.
func htSignInAdmin(t *testing.T, env *webtest.Env) *webtest.Client {
	t.Helper()
	email := "admin-" + uuid.NewString()[:8] + "@example.com"
	env.CreateUser(email, "admin")
	c, _ := htSignIn(t, env, email)
	return c
}

// htNoSecretAnywhere fails when any secret is in the server log or in any
// cell of any table.
func htNoSecretAnywhere(t *testing.T, env *webtest.Env, secrets ...string) {
	t.Helper()
	logs := env.Logs.String()
	if !strings.Contains(logs, "msg=request") {
		t.Fatalf("the log has no request lines: the scan would prove nothing")
	}
	dump := dumpDB(t, env.Store)
	if !strings.Contains(dump, "integration.create") {
		t.Fatalf("the dump has no audit rows: the scan would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log carries a secret (%s)", redact(s))
		}
		if strings.Contains(dump, s) {
			t.Errorf("the database carries a secret in the clear (%s)", redact(s))
		}
	}
}
