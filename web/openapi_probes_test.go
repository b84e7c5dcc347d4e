package web_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"switchboard/db"
	"switchboard/web/webtest"
)

// TestOpenAPI_ProbeStatuses: /healthz and /readyz pass through the input
// checks every route has, so they answer 400 for refused text in the
// query and 415 for a compressed body, and /openapi.json documents both
// (which is also what Redocly's operation-4xx-response rule asks).
func TestOpenAPI_ProbeStatuses(t *testing.T) {
	env := webtest.New(t, db.SQLite)
	_, _, raw := env.API("GET", "/openapi.json", "", nil)
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Responses map[string]any `json:"responses"`
			} `json:"get"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		for _, probe := range []struct {
			status         int
			target, header string
		}{
			{400, path + "?x=%00", ""},
			{415, path, "gzip"},
		} {
			req := httptest.NewRequest("GET", probe.target, nil)
			if probe.header != "" {
				req.Header.Set("Content-Encoding", probe.header)
			}
			resp, err := env.App.Fiber.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != probe.status {
				t.Errorf("GET %s (Content-Encoding %q) = %d, want %d", probe.target, probe.header, resp.StatusCode, probe.status)
			}
			if doc.Paths[path].Get.Responses[resp.Status[:3]] == nil {
				t.Errorf("GET %s answers %d, which /openapi.json does not document", path, resp.StatusCode)
			}
		}
	}
}
