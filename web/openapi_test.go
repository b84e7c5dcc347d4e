package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"switchboard/db"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// TestOpenAPI_CoversEveryJSONRoute fails when a JSON route is registered
// without a description in /openapi.json (or the description names a route
// that does not exist).
func TestOpenAPI_CoversEveryJSONRoute(t *testing.T) {
	env := webtest.NewSyncs(t, db.SQLite)
	resp, _, raw := env.API(http.MethodGet, "/openapi.json", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json = %d", resp.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			if m != "parameters" {
				documented[strings.ToUpper(m)+" "+param.ReplaceAllString(p, ":")] = true
			}
		}
	}
	fiberParam := regexp.MustCompile(`:[A-Za-z_]+`)
	seen := map[string]bool{}
	for _, r := range env.App.Fiber.GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == "USE" || len(r.Handlers) == 0 {
			continue
		}
		if !strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/v1/") && r.Path != "/healthz" && r.Path != "/readyz" {
			continue
		}
		key := r.Method + " " + fiberParam.ReplaceAllString(strings.TrimSuffix(r.Path, "/"), ":")
		seen[key] = true
		if !documented[key] {
			t.Errorf("route %s %s is not in /openapi.json", r.Method, r.Path)
		}
	}
	if len(seen) < 15 {
		t.Fatalf("only %d JSON routes found: the route walk is broken", len(seen))
	}
	for k := range documented {
		if !seen[k] {
			t.Errorf("/openapi.json describes %s, which is not a route", k)
		}
	}
}

// TestOpenAPI_MatchesDeclarations checks /openapi.json against what it
// describes: the Infisical catalogue (the app parameter lists exactly its
// apps), every operation's operationId (unique), servers and license, the
// statuses every authenticated route can answer (401, 429, and 403 on a
// write), and required members on every JSON object a route answers.
func TestOpenAPI_MatchesDeclarations(t *testing.T) {
	env := webtest.NewSyncs(t, db.SQLite)
	_, _, raw := env.API(http.MethodGet, "/openapi.json", "", nil)
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	obj := func(v any, keys ...string) map[string]any {
		for _, k := range keys {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		m, _ := v.(map[string]any)
		return m
	}
	if servers, _ := doc["servers"].([]any); len(servers) == 0 {
		t.Error("no servers")
	}
	if obj(doc, "info", "license")["name"] == nil {
		t.Error("no license")
	}
	var enum []string
	for _, v := range obj(doc, "components", "parameters", "InfisicalApp", "schema")["enum"].([]any) {
		enum = append(enum, v.(string))
	}
	var slugs []string
	for _, a := range integrations.InfisicalApps {
		slugs = append(slugs, a.Slug)
	}
	if !slices.Equal(enum, slugs) {
		t.Errorf("InfisicalApp enum = %v, want the catalogue's %v", enum, slugs)
	}
	if strings.Count(raw, `"postgres"`) != 1 {
		t.Errorf("the apps are listed %d times, want once (a $ref elsewhere)", strings.Count(raw, `"postgres"`))
	}
	schemas := obj(doc, "components", "schemas")
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			return obj(schemas, strings.TrimPrefix(ref, "#/components/schemas/"))
		}
		return s
	}
	ids := map[string]string{}
	for path, ops := range obj(doc, "paths") {
		for method, raw := range ops.(map[string]any) {
			if method == "parameters" {
				continue
			}
			op := raw.(map[string]any)
			where := strings.ToUpper(method) + " " + path
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, dup := ids[id]; dup {
				t.Errorf("%s and %s share operationId %s", where, other, id)
			}
			ids[id] = where
			responses := obj(op, "responses")
			if sec, set := op["security"].([]any); !set || len(sec) > 0 {
				want := []string{"401", "429"}
				if method != "get" {
					want = append(want, "403")
				}
				for _, s := range want {
					if responses[s] == nil {
						t.Errorf("%s does not document %s", where, s)
					}
				}
			}
			for status, r := range responses {
				s := resolve(obj(r, "content", "application/json", "schema"))
				if s == nil || s["type"] != "object" || s["properties"] == nil {
					continue
				}
				if req, _ := s["required"].([]any); len(req) == 0 {
					t.Errorf("%s %s: its JSON object names no required members", where, status)
				}
			}
		}
	}
	if len(ids) < 30 {
		t.Fatalf("only %d operations found: the walk is broken", len(ids))
	}
}
