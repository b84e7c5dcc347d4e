package web_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// rawAPI sends body with the given Content-Type (none when empty) and
// extra headers, and returns the status and body.
func rawAPI(t *testing.T, env *webtest.Env, method, path, token, contentType string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, "http://127.0.0.1"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := env.App.Fiber.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// familyRoutes are one create route of each JSON family and the marker of
// its error shape.
var familyRoutes = []struct {
	family, path, shape string
	badStatus           int // a refused field's status in the family
}{
	{"node", "/api/v1/integrations", `"error":"invalid_request"`, 400},
	{"anchor", "/v1/integrations", `"error":{"code":400`, 400},
	{"infisical", "/api/v1/app-connections/1password", `"error":"ValidationFailure"`, 422},
	{"launchdarkly", "/api/v2/integration-configurations/keys/sample-integration", `"code":"invalid_request"`, 400},
}

// TestInput_RefusesNULAndBadUTF8: a NUL (as \u0000) or bytes that are not
// UTF-8 in any JSON string, member name or query is refused in the family's
// shape naming the field, on both dialects, and nothing is stored.
func TestInput_RefusesNULAndBadUTF8(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.New(t, d)
			team := env.CreateTeam("payments")
			token := env.CreateToken(team.ID, false)
			for _, fr := range familyRoutes {
				for name, body := range map[string]string{
					"NUL in name":        `{"name":"a\u0000b"}`,
					"NUL in member name": `{"na\u0000me":"x"}`,
					"bad UTF-8":          "{\"name\":\"a\xffb\"}",
					"duplicate member":   `{"name":"a","name":"b"}`,
				} {
					status, raw := rawAPI(t, env, http.MethodPost, fr.path, token, "application/json", []byte(body), nil)
					if status != fr.badStatus || !strings.Contains(raw, fr.shape) {
						t.Errorf("%s %s: status %d body %s, want %d in the family's shape", fr.family, name, status, raw, fr.badStatus)
					}
					if !strings.Contains(raw, "name") && !strings.Contains(raw, "body") {
						t.Errorf("%s %s: body %s does not name the field", fr.family, name, raw)
					}
				}
			}
			// Queries: the audit API's actor.
			status, raw := rawAPI(t, env, http.MethodGet, "/api/v1/audit-events?actor=%00", token, "", nil, nil)
			if status != 400 || !strings.Contains(raw, `"actor"`) {
				t.Errorf("audit-events?actor=%%00: %d %s, want 400 naming actor", status, raw)
			}
			status, raw = rawAPI(t, env, http.MethodGet, "/api/v1/audit-events?format=csv&actor=%00", token, "", nil, nil)
			if status != 400 || !strings.Contains(raw, `"actor"`) {
				t.Errorf("audit-events?format=csv&actor=%%00: %d %s, want 400 naming actor", status, raw)
			}
			// Anonymous sign-in: a form error page, not a 500.
			c := env.Client()
			resp, body := c.Post("/sign-in", url.Values{"email": {"a\x00@example.com"}, "password": {"x"}})
			if resp.StatusCode != 400 || !strings.Contains(body, "email") {
				t.Errorf("sign-in with a NUL email: %d, want 400 naming email; body %.300s", resp.StatusCode, body)
			}
			env.CreateUser("admin@example.com", sb.RoleAdmin)
			c.SignIn("admin@example.com")
			resp, body = c.Get("/audit/export.csv?actor=%00")
			if resp.StatusCode != 400 || !strings.Contains(body, "actor") {
				t.Errorf("/audit/export.csv?actor=%%00: %d, want 400 naming actor; body %.300s", resp.StatusCode, body)
			}
			resp, body = c.Post("/teams", url.Values{"slug": {"ops"}, "name": {"Ops\x00"}})
			if resp.StatusCode != 400 || !strings.Contains(body, "name") {
				t.Errorf("POST /teams with a NUL name: %d, want 400 naming name; body %.300s", resp.StatusCode, body)
			}
			// Bidi override in a name: refused in forms and JSON alike.
			resp, body = c.Post("/teams", url.Values{"slug": {"ops"}, "name": {"Ops\u202Egpj.exe"}})
			if resp.StatusCode != 400 || !strings.Contains(body, "U+202E") {
				t.Errorf("POST /teams with U+202E in the name: %d, want 400; body %.300s", resp.StatusCode, body)
			}
			status, raw = rawAPI(t, env, http.MethodPost, "/v1/integrations", token, "application/json", []byte(`{"name":"x\u202Ey","type":"1PASSWORD"}`), nil)
			if status != 400 || !strings.Contains(raw, "U+202E") {
				t.Errorf("Anchor name with U+202E: %d %s, want 400", status, raw)
			}
			if teams, _ := env.Store.ListTeams(t.Context(), nil); len(teams) != 1 {
				t.Errorf("teams after the refused creates = %d, want 1 (nothing stored)", len(teams))
			}
		})
	}
}

// TestInput_MediaTypeAndLimits: 415 for a body that is not JSON or is
// compressed, 413 over the limit, each in the family's own shape; a POST
// without a body needs no Content-Type.
func TestInput_MediaTypeAndLimits(t *testing.T) {
	env := webtest.New(t, "sqlite")
	team := env.CreateTeam("payments")
	token := env.CreateToken(team.ID, false)
	shapes := map[string]map[int]string{
		"node":         {413: `"error":"payload_too_large"`, 415: `"error":"unsupported_media_type"`},
		"anchor":       {413: `"error":{"code":413`, 415: `"error":{"code":415`},
		"infisical":    {413: `"error":"PayloadTooLarge"`, 415: `"error":"UnsupportedMediaType"`},
		"launchdarkly": {413: `"code":"payload_too_large"`, 415: `"code":"unsupported_media_type"`},
	}
	base := env.Listen()
	for _, fr := range familyRoutes {
		want := shapes[fr.family]
		cases := []struct {
			name, ct string
			body     []byte
			hdr      map[string]string
			status   int
		}{
			{"text/plain", "text/plain", []byte(`{"name":"x"}`), nil, 415},
			{"no Content-Type", "", []byte(`{"name":"x"}`), nil, 415},
			{"latin-1 charset", "application/json; charset=iso-8859-1", []byte(`{"name":"x"}`), nil, 415},
			{"gzip", "application/json", []byte(`{"name":"x"}`), map[string]string{"Content-Encoding": "gzip"}, 415},
		}
		for _, tc := range cases {
			status, raw := rawAPI(t, env, http.MethodPost, fr.path, token, tc.ct, tc.body, tc.hdr)
			if status != tc.status || !strings.Contains(raw, want[tc.status]) {
				t.Errorf("%s %s: %d %.200s, want %d with %s", fr.family, tc.name, status, raw, tc.status, want[tc.status])
			}
		}
		// Over the limit: Fiber refuses before any middleware, so over a
		// real listener (app.Test cannot send it).
		// The declared length is enough: the server answers before reading
		// the body, so the client never races a reset while writing it.
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", fr.path, 2<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s too large: %v", fr.family, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(b), want[413]) {
			t.Errorf("%s too large: %d %.200s, want 413 with %s", fr.family, resp.StatusCode, b, want[413])
		}
		// charset=utf-8 is fine: the family's own validation answers.
		status, raw := rawAPI(t, env, http.MethodPost, fr.path, token, "application/json; charset=UTF-8", []byte(`{}`), nil)
		if status == 415 {
			t.Errorf("%s with charset=UTF-8: 415 %s, want it accepted", fr.family, raw)
		}
	}
	// No body, no Content-Type: a lifecycle POST as clients send it.
	status, raw := rawAPI(t, env, http.MethodPost, "/api/v1/integrations/00000000-0000-0000-0000-000000000000/disable", token, "", nil, nil)
	if status != 404 {
		t.Errorf("bodiless POST without Content-Type: %d %s, want 404 (not 415)", status, raw)
	}
}
