package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"switchboard/db"
	"switchboard/web/webtest"
)

// TestOpenAPI_CoversEveryJSONRoute fails when a JSON route is registered
// without a description in /openapi.json (or the description names a route
// that does not exist).
func TestOpenAPI_CoversEveryJSONRoute(t *testing.T) {
	env := webtest.New(t, db.SQLite)
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
