package web_test

// In-process HTTP tests of the browser routes of web/web.go: health, static
// assets, security headers, request limits, the node API key form, reveals,
// revocation and the admin's team pages. Every test runs on SQLite and
// PostgreSQL. Helpers shared by routes_test.go, auth_test.go and
// api_nodekeys_test.go carry the ht prefix.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/secrets"
	"switchboard/web/webtest"
)

// ---- helpers ----

// htEachDialect runs fn in a subtest per dialect, each with a fresh app.
func htEachDialect(t *testing.T, fn func(t *testing.T, env *webtest.Env)) {
	t.Helper()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, webtest.New(t, d))
		})
	}
}

// htSignIn signs a new client in as email and returns it with the session
// cookie the sign-in answer set.
func htSignIn(t *testing.T, env *webtest.Env, email string) (*webtest.Client, *http.Cookie) {
	t.Helper()
	c := env.Client()
	c.Get("/sign-in")
	resp, body := c.Post("/sign-in", url.Values{"email": {email}, "password": {webtest.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: status %d, want 303; body %.300s", email, resp.StatusCode, body)
	}
	ck := htCookie(env, resp)
	if ck == nil {
		t.Fatalf("sign in %s: no session cookie set", email)
	}
	if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in %s: GET /integrations = %d, want 200", email, resp.StatusCode)
	}
	return c, ck
}

// htCookie returns the session cookie a response sets, or nil.
func htCookie(env *webtest.Env, resp *http.Response) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == env.App.Sessions.Name() {
			return ck
		}
	}
	return nil
}

// htRaw sends one request with exactly the given cookie and headers (no jar).
func htRaw(t *testing.T, env *webtest.Env, method, path string, ck *http.Cookie, hdr http.Header, body string) (*http.Response, string) {
	t.Helper()
	resp, b, err := htRawErr(env, method, path, ck, hdr, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, b
}

// htRawErr is htRaw without the testing.T, safe to call from goroutines.
func htRawErr(env *webtest.Env, method, path string, ck *http.Cookie, hdr http.Header, body string) (*http.Response, string, error) {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(method, "http://127.0.0.1"+path, rd)
	} else {
		req, err = http.NewRequest(method, "http://127.0.0.1"+path, nil)
	}
	if err != nil {
		return nil, "", err
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if ck != nil {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	resp, err := env.App.Fiber.Test(req, -1)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var sbuf strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&sbuf); err != nil {
		return nil, "", err
	}
	return resp, sbuf.String(), nil
}

// htPostNoCSRF posts a form exactly as given (no _csrf added) with the client's cookies.
func htPostNoCSRF(c *webtest.Client, path string, form url.Values) (*http.Response, string) {
	return c.Do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// htHasTestID reports whether the page has an element with data-testid id.
func htHasTestID(body, id string) bool {
	return strings.Contains(body, `data-testid="`+id+`"`)
}

// htErrorFields returns the sorted field names of every error-<field> testid on the page.
func htErrorFields(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`data-testid="error-([a-z_]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

// htText returns the unescaped text of the first element with data-testid id.
func htText(body, id string) (string, bool) {
	re := regexp.MustCompile(`<[^>]*data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return strings.TrimSpace(html.UnescapeString(m[1])), true
}

// htInput returns the opening tag of the input named name (with value when
// given, for checkboxes), or "".
func htInput(body, name, value string) string {
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(tag, ` name="`+name+`"`) {
			continue
		}
		if value != "" && !strings.Contains(tag, ` value="`+html.EscapeString(value)+`"`) {
			continue
		}
		return tag
	}
	return ""
}

// htAttr returns the value of attribute attr of an HTML tag.
func htAttr(tag, attr string) (string, bool) {
	m := regexp.MustCompile(`\s` + attr + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// htSelected reports whether the option with value is selected.
func htSelected(body, value string) bool {
	return regexp.MustCompile(`<option value="` + regexp.QuoteMeta(value) + `" selected`).MatchString(body)
}

// htHasOption reports whether a select offers value.
func htHasOption(body, value string) bool {
	return strings.Contains(body, `<option value="`+value+`"`)
}

// htRows returns the integrations of a node (every status).
func htRows(t *testing.T, env *webtest.Env, nodeID string) []db.IntegrationRow {
	t.Helper()
	rows, err := env.Store.ListIntegrations(context.Background(), db.IntegrationFilter{NodeID: nodeID, Limit: 500})
	if err != nil {
		t.Fatalf("list integrations: %v", err)
	}
	return rows
}

// htActive counts the active integrations of a node.
func htActive(t *testing.T, env *webtest.Env, nodeID string) int {
	t.Helper()
	n := 0
	for _, r := range htRows(t, env, nodeID) {
		if r.Status == integrations.StatusActive {
			n++
		}
	}
	return n
}

// htCount counts the rows of a table.
func htCount(t *testing.T, env *webtest.Env, table string) int {
	t.Helper()
	var n int
	if err := env.Store.SQLX().GetContext(context.Background(), &n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// htCounts counts the rows of every application table.
func htCounts(t *testing.T, env *webtest.Env) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range env.Store.Tables() {
		out[table] = htCount(t, env, table)
	}
	return out
}

var htRevealPathRE = regexp.MustCompile(`^/reveal/[A-Za-z0-9_-]{16,64}$`)

// htCreateKey creates a node key through the browser form and returns the
// reveal path it redirects to.
func htCreateKey(t *testing.T, c *webtest.Client, teamID, nodeID, name string) string {
	t.Helper()
	resp, body := c.Post("/integrations/new/node-api-key", url.Values{"team_id": {teamID}, "node_id": {nodeID}, "name": {name}, "permissions": {"payments.read"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create key %q: status %d, want 303; errors %v", name, resp.StatusCode, htErrorFields(body))
	}
	loc := resp.Header.Get("Location")
	if !htRevealPathRE.MatchString(loc) {
		t.Fatalf("create key %q: Location %q, want /reveal/{id}", name, loc)
	}
	return loc
}

// htOnlyRow returns the one integration of a node.
func htOnlyRow(t *testing.T, env *webtest.Env, nodeID string) db.IntegrationRow {
	t.Helper()
	rows := htRows(t, env, nodeID)
	if len(rows) != 1 {
		t.Fatalf("node %s has %d integrations, want 1", nodeID, len(rows))
	}
	return rows[0]
}

// htRecord reads integration id through the domain, as an admin.
func htRecord(t *testing.T, env *webtest.Env, id string) *integrations.Record {
	t.Helper()
	r, err := env.App.Services.Get(context.Background(), sb.Actor{Role: sb.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// htNodeKey reads the node key id through the domain, as an admin.
func htNodeKey(t *testing.T, env *webtest.Env, id string) integrations.NodeKey {
	t.Helper()
	k, ok, err := integrations.NodeKeyOf(htRecord(t, env, id))
	if err != nil || !ok {
		t.Fatalf("node key %s: ok %v, err %v", id, ok, err)
	}
	return k
}

func htSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// ---- health, static, OpenAPI ----

func TestHealth_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		for _, path := range []string{"/healthz", "/readyz"} {
			t.Run(path, func(t *testing.T) {
				resp, body := htRaw(t, env, http.MethodGet, path, nil, nil, "")
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
				}
				if body != "ok" {
					t.Errorf("GET %s body = %q, want %q", path, body, "ok")
				}
				if got := resp.Header.Get("Set-Cookie"); got != "" {
					t.Errorf("GET %s sets a cookie %q, want none", path, got)
				}
			})
		}
		t.Run("database down", func(t *testing.T) {
			env.Store.Close()
			for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable} {
				resp, body := htRaw(t, env, http.MethodGet, path, nil, nil, "")
				if resp.StatusCode != want {
					t.Errorf("GET %s with the database closed = %d, want %d", path, resp.StatusCode, want)
				}
				if strings.Contains(body, "sql") || strings.Contains(body, "postgres") {
					t.Errorf("GET %s leaks the database error: %q", path, body)
				}
			}
		})
	})
}

func TestStatic_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		for _, tc := range []struct {
			path, wantType, wantBody string
		}{
			{"/static/css/app.css", "text/css", "{"},
			{"/static/js/htmx.min.js", "javascript", "htmx"},
			{"/static/js/app.js", "javascript", "function"},
		} {
			t.Run(tc.path, func(t *testing.T) {
				resp, body := htRaw(t, env, http.MethodGet, tc.path, nil, nil, "")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d, want 200", tc.path, resp.StatusCode)
				}
				if got := resp.Header.Get("Cache-Control"); !regexp.MustCompile(`max-age=[1-9][0-9]*`).MatchString(got) {
					t.Errorf("Cache-Control = %q, want a positive max-age", got)
				}
				if got := resp.Header.Get("Content-Type"); !strings.Contains(got, tc.wantType) {
					t.Errorf("Content-Type = %q, want %s", got, tc.wantType)
				}
				if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
				}
				if len(body) < 100 || !strings.Contains(body, tc.wantBody) {
					t.Errorf("body (%d bytes) does not look like the asset (no %q)", len(body), tc.wantBody)
				}
			})
		}
	})
}

func TestOpenAPI_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		resp, body := htRaw(t, env, http.MethodGet, "/openapi.json", nil, nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /openapi.json = %d, want 200", resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", got)
		}
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.") {
			t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
		}
		for path, methods := range map[string][]string{
			"/api/v1/integrations":      {"get", "post"},
			"/api/v1/integrations/{id}": {"get", "delete"},
		} {
			for _, m := range methods {
				if _, ok := doc.Paths[path][m]; !ok {
					t.Errorf("paths[%q] has no %s operation", path, m)
				}
			}
		}
	})
}

// ---- headers and limits ----

func TestSecurityHeaders_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		for _, path := range []string{"/sign-in", "/integrations", "/integrations/new", "/teams", "/no-such-page"} {
			t.Run(path, func(t *testing.T) {
				client := c
				if path == "/sign-in" {
					client = env.Client()
				}
				resp, body := client.Get(path)
				if !strings.Contains(body, "<html") {
					t.Fatalf("GET %s is not an HTML page (status %d)", path, resp.StatusCode)
				}
				csp := resp.Header.Get("Content-Security-Policy")
				if csp == "" {
					t.Errorf("no Content-Security-Policy")
				}
				if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
					t.Errorf("CSP %q allows unsafe-inline/unsafe-eval", csp)
				}
				if !strings.Contains(csp, "frame-ancestors 'none'") {
					t.Errorf("CSP %q lacks frame-ancestors 'none'", csp)
				}
				if !strings.Contains(csp, "script-src 'self'") {
					t.Errorf("CSP %q lacks script-src 'self'", csp)
				}
				for h, want := range map[string]string{
					"X-Content-Type-Options": "nosniff",
					"Referrer-Policy":        "no-referrer",
					"Cache-Control":          "no-store",
					"X-Frame-Options":        "DENY",
				} {
					if got := resp.Header.Get(h); got != want {
						t.Errorf("%s = %q, want %q", h, got, want)
					}
				}
				if strings.Contains(body, "<script>") || strings.Contains(body, " style=\"") {
					t.Errorf("page has inline script or style, which the CSP blocks")
				}
				for _, ck := range resp.Cookies() {
					if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
						t.Errorf("cookie %s: HttpOnly=%v SameSite=%v, want HttpOnly and Lax", ck.Name, ck.HttpOnly, ck.SameSite)
					}
				}
			})
		}
	})
}

func TestRequestID_Get(t *testing.T) {
	saneRE := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		for _, tc := range []struct {
			name, in string
			keep     bool
		}{
			{"sane id kept", "req-42.abc_DEF", true},
			{"64 chars kept", strings.Repeat("b", 64), true},
			{"65 chars replaced", strings.Repeat("c", 65), false},
			{"none given", "", false},
			{"newline replaced", "a\nb", false},
			{"200 chars replaced", strings.Repeat("a", 200), false},
			{"markup replaced", "<script>alert(1)</script>", false},
			{"spaces replaced", "a b c", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				hdr := http.Header{}
				if tc.in != "" {
					hdr.Set("X-Request-ID", tc.in)
				}
				// /sign-in?next=… also checks the query string is not logged.
				resp, _ := htRaw(t, env, http.MethodGet, "/sign-in?next=%2Fquery-canary", nil, hdr, "")
				got := resp.Header.Get("X-Request-ID")
				if tc.keep && got != tc.in {
					t.Errorf("X-Request-ID = %q, want the incoming %q", got, tc.in)
				}
				if !tc.keep && (got == tc.in || !saneRE.MatchString(got)) {
					t.Errorf("X-Request-ID = %q for incoming %q, want a fresh sane id", got, tc.in)
				}
				if !strings.Contains(env.Logs.String(), "request_id="+got) {
					t.Errorf("the log has no line with request_id=%s", got)
				}
			})
		}
		if strings.Contains(env.Logs.String(), "query-canary") {
			t.Errorf("the log contains a query string")
		}
		if strings.Contains(env.Logs.String(), "<script>") {
			t.Errorf("the log contains the refused request id")
		}
	})
}

func TestEncodedBody_Post(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		token := env.CreateToken(team.ID, false)
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, ck := htSignIn(t, env, "admin@example.com")
		before := htCounts(t, env)
		apiBody := fmt.Sprintf(`{"node_id":%q,"name":"gz"}`, node.ID)
		for _, tc := range []struct {
			name, path, ctype, body string
			auth                    bool
		}{
			{"form", "/teams", "application/x-www-form-urlencoded", url.Values{"_csrf": {c.CSRF}, "slug": {"gz"}, "name": {"Gz"}}.Encode(), false},
			{"JSON API", "/api/v1/integrations", "application/json", apiBody, true},
		} {
			for _, enc := range []string{"gzip", "deflate", "br"} {
				t.Run(tc.name+"/"+enc, func(t *testing.T) {
					hdr := http.Header{"Content-Type": {tc.ctype}, "Content-Encoding": {enc}}
					var cookie *http.Cookie
					if tc.auth {
						hdr.Set("Authorization", "Bearer "+token)
					} else {
						cookie = ck
					}
					resp, _ := htRaw(t, env, http.MethodPost, tc.path, cookie, hdr, tc.body)
					if resp.StatusCode != http.StatusUnsupportedMediaType {
						t.Errorf("POST %s with Content-Encoding %s = %d, want 415", tc.path, enc, resp.StatusCode)
					}
				})
			}
		}
		if after := htCounts(t, env); !mapsEqual(before, after) {
			t.Errorf("refused requests changed the database: before %v, after %v", before, after)
		}
		// identity is no encoding at all.
		resp, _ := htRaw(t, env, http.MethodPost, "/api/v1/integrations", nil,
			http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"identity"}, "Authorization": {"Bearer " + token}}, apiBody)
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("POST with Content-Encoding identity = %d, want 201", resp.StatusCode)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRequestBodyLimit_Post talks to a real listener: fiber's app.Test returns the
// server's read error instead of the 413 it wrote.
func TestRequestBodyLimit_Post(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		token := env.CreateToken(team.ID, false)
		base := env.Listen()
		addr := strings.TrimPrefix(base, "http://")
		for _, tc := range []struct {
			name, path string
			length     int
			chunked    bool
			want       int
		}{
			{"API one byte over", "/api/v1/integrations", 1<<20 + 1, false, http.StatusRequestEntityTooLarge},
			{"API 2 MiB chunked", "/api/v1/integrations", 2 << 20, true, http.StatusRequestEntityTooLarge},
			{"form 2 MiB", "/sign-in", 2 << 20, false, http.StatusRequestEntityTooLarge},
			{"API at the limit", "/api/v1/integrations", 1 << 20, false, http.StatusBadRequest},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(20 * time.Second))
				head := "POST " + tc.path + " HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + token + "\r\nContent-Type: application/json\r\nConnection: close\r\n"
				if tc.chunked {
					head += "Transfer-Encoding: chunked\r\n\r\n"
				} else {
					head += fmt.Sprintf("Content-Length: %d\r\n\r\n", tc.length)
				}
				// Write the body from a goroutine: the server may answer
				// and close before it has read all of it.
				go func() {
					conn.Write([]byte(head))
					chunk := strings.Repeat(" ", 64<<10)
					for sent := 0; sent < tc.length; sent += len(chunk) {
						part := chunk
						if tc.length-sent < len(part) {
							part = part[:tc.length-sent]
						}
						if tc.chunked {
							part = fmt.Sprintf("%x\r\n%s\r\n", len(part), part)
						}
						if _, err := conn.Write([]byte(part)); err != nil {
							return
						}
					}
					if tc.chunked {
						conn.Write([]byte("0\r\n\r\n"))
					}
				}()
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatalf("read response: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("POST %s with a %d-byte body = %d, want %d", tc.path, tc.length, resp.StatusCode, tc.want)
				}
			})
		}
	})
}

// ---- pages every signed-in user has ----

func TestNotFound_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		token := env.CreateToken(team.ID, false)
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")

		t.Run("unknown page signed in", func(t *testing.T) {
			resp, body := c.Get("/no/such/page")
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status = %d, want 404", resp.StatusCode)
			}
			if !strings.Contains(body, "<html") || !htHasTestID(body, "status-404") {
				t.Errorf("body is not the 404 page: %.200s", body)
			}
		})
		t.Run("unknown page anonymous", func(t *testing.T) {
			resp, _ := env.Client().Get("/no/such/page")
			if resp.StatusCode == http.StatusOK || resp.StatusCode >= 500 {
				t.Errorf("status = %d, want 404 or a redirect to sign-in", resp.StatusCode)
			}
		})
		for _, tc := range []struct {
			name, method, path, token string
		}{
			{"unknown API path", http.MethodGet, "/api/v1/nope", ""},
			{"unknown API path with token", http.MethodGet, "/api/v2/whatever", token},
			{"unknown API method path", http.MethodPost, "/api/nope", token},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, m, raw := env.API(tc.method, tc.path, tc.token, nil)
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s = %d, want 404", tc.method, tc.path, resp.StatusCode)
				}
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
					t.Errorf("Content-Type = %q, want JSON", resp.Header.Get("Content-Type"))
				}
				if m["error"] != "not_found" {
					t.Errorf("error = %v, want not_found; body %s", m["error"], raw)
				}
				if msg, _ := m["message"].(string); msg == "" {
					t.Errorf("message = %v, want a text", m["message"])
				}
			})
		}
	})
}

func TestHome_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		for _, tc := range []struct {
			name   string
			client *webtest.Client
			want   string
		}{
			{"signed in", c, "/integrations"},
			{"anonymous", env.Client(), "/sign-in"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, _ := tc.client.Get("/")
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
					t.Errorf("GET / = %d %q, want 303 %q", resp.StatusCode, resp.Header.Get("Location"), tc.want)
				}
			})
		}
	})
}

func TestIntegrations_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")

		resp, body := c.Get("/integrations")
		if resp.StatusCode != http.StatusOK || !htHasTestID(body, "empty-integrations") {
			t.Errorf("empty list = %d, empty state shown %v; want 200 with the empty state", resp.StatusCode, htHasTestID(body, "empty-integrations"))
		}
		resp, body = c.Get("/integrations/new")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /integrations/new = %d, want 200", resp.StatusCode)
		}
		if !strings.Contains(body, `href="/integrations/new/node-api-key"`) {
			t.Errorf("the chooser does not link the node API key form")
		}
		for _, p := range integrations.Providers() {
			if !htHasTestID(body, "provider-"+p.Key) {
				t.Errorf("the chooser lacks provider %s", p.Key)
			}
		}
		htCreateKey(t, c, team.ID, node.ID, "Listed key")
		other := env.CreateNode(team.ID, "<b>edge</b>")
		htCreateKey(t, c, team.ID, other.ID, "<script>alert(1)</script>")
		resp, body = c.Get("/integrations")
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>edge") {
			t.Errorf("the list renders user input as HTML")
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the list lacks the escaped name")
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /integrations = %d, want 200", resp.StatusCode)
		}
		row := htOnlyRow(t, env, node.ID)
		for _, want := range []string{"Listed key", `href="/integrations/` + row.ID + `"`, "node edge-1", "Payments", "admin@example.com", ">active<"} {
			if !strings.Contains(body, want) {
				t.Errorf("the list lacks %q", want)
			}
		}
	})
}

// ---- node API key form ----

func TestNodeKeyForm_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		a1 := env.CreateNode(a.ID, "edge-a1")
		a2 := env.CreateNode(a.ID, "edge-a2")
		b1 := env.CreateNode(b.ID, "edge-b1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")

		for _, tc := range []struct {
			name, path   string
			fragment     bool
			wantNodes    []string
			notNodes     []string
			wantSelected []string
		}{
			{"no team chosen", "/integrations/new/node-api-key", false, nil, []string{a1.ID, b1.ID}, nil},
			{"team in query (no-JS path)", "/integrations/new/node-api-key?team_id=" + a.ID, false, []string{a1.ID, a2.ID}, []string{b1.ID}, []string{a.ID}},
			{"team and node in query", "/integrations/new/node-api-key?team_id=" + a.ID + "&node_id=" + a2.ID, false, []string{a1.ID, a2.ID}, []string{b1.ID}, []string{a.ID, a2.ID}},
			{"other team in query", "/integrations/new/node-api-key?team_id=" + b.ID, false, []string{b1.ID}, []string{a1.ID}, []string{b.ID}},
			{"unknown team", "/integrations/new/node-api-key?team_id=" + "00000000-0000-4000-8000-000000000000", false, nil, []string{a1.ID, b1.ID}, nil},
			{"node fragment", "/integrations/new/node-api-key/nodes?team_id=" + a.ID, true, []string{a1.ID, a2.ID}, []string{b1.ID}, nil},
			{"node fragment of no team", "/integrations/new/node-api-key/nodes?team_id=", true, nil, []string{a1.ID, b1.ID}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := c.Get(tc.path)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d, want 200", tc.path, resp.StatusCode)
				}
				if gotFull := strings.Contains(body, "<html"); gotFull == tc.fragment {
					t.Errorf("full page = %v, want %v", gotFull, !tc.fragment)
				}
				if tc.fragment {
					if !strings.HasPrefix(strings.TrimSpace(body), `<div id="node-field"`) {
						t.Errorf("fragment does not start with the node field: %.100s", body)
					}
					if !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
						t.Errorf("Vary = %q, want HX-Request", resp.Header.Get("Vary"))
					}
				} else {
					for _, team := range []string{a.ID, b.ID} {
						if !htHasOption(body, team) {
							t.Errorf("the team select lacks team %s", team)
						}
					}
				}
				for _, id := range tc.wantNodes {
					if !htHasOption(body, id) {
						t.Errorf("node %s is not offered", id)
					}
				}
				for _, id := range tc.notNodes {
					if strings.Contains(body, id) {
						t.Errorf("node %s of another team is on the page", id)
					}
				}
				for _, id := range tc.wantSelected {
					if !htSelected(body, id) {
						t.Errorf("option %s is not selected", id)
					}
				}
			})
		}
		// A team that does not exist (or is not the viewer's) is not found.
		if resp, body := c.Get("/integrations/new/node-api-key/nodes?team_id=x'--"); resp.StatusCode != http.StatusNotFound || strings.Contains(body, a1.ID) {
			t.Errorf("node fragment of a bad id = %d, want 404 without nodes", resp.StatusCode)
		}
	})
}

func TestNodeKeyForm_Post(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		a1 := env.CreateNode(a.ID, "edge-a1")
		a2 := env.CreateNode(a.ID, "edge-a2")
		a3 := env.CreateNode(a.ID, "edge-a3")
		b1 := env.CreateNode(b.ID, "edge-b1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")

		invalid := []struct {
			name       string
			form       url.Values
			wantErrors []string
			keptName   string
			keptPerms  []string
			keptExpiry string
		}{
			{"missing name", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {""}, "permissions": {"payments.read", "payouts.create"}},
				[]string{"name"}, "", []string{"payments.read", "payouts.create"}, ""},
			{"blank name", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {"   "}},
				[]string{"name"}, "   ", nil, ""},
			{"name too long", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {strings.Repeat("n", 256)}},
				[]string{"name"}, strings.Repeat("n", 256), nil, ""},
			{"no node", url.Values{"team_id": {a.ID}, "node_id": {""}, "name": {"Key <one>"}, "expires_at": {"2099-12-31T23:59"}},
				[]string{"node_id"}, "Key <one>", nil, "2099-12-31T23:59"},
			// The Team is the field to fix first (issue 13): flagged there, not on the node.
			{"no team no node", url.Values{"name": {"Key"}},
				[]string{"team_id"}, "Key", nil, ""},
			{"unknown permission", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {"Key"}, "permissions": {"payments.read", "payments.steal"}},
				[]string{"permissions"}, "Key", []string{"payments.read"}, ""},
			{"expiry in the past", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {"Key"}, "expires_at": {"2020-01-01T00:00"}},
				[]string{"expires_at"}, "Key", nil, "2020-01-01T00:00"},
			{"expiry not a date", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {"Key"}, "expires_at": {"next tuesday"}},
				[]string{"expires_at"}, "Key", nil, "next tuesday"},
			{"node of another team", url.Values{"team_id": {a.ID}, "node_id": {b1.ID}, "name": {"Key"}},
				[]string{"node_id"}, "Key", nil, ""},
			{"team and node mismatch", url.Values{"team_id": {b.ID}, "node_id": {a1.ID}, "name": {"Key"}},
				[]string{"node_id"}, "Key", nil, ""},
			{"node id not a uuid", url.Values{"team_id": {a.ID}, "node_id": {"edge-a1"}, "name": {"Key"}},
				[]string{"node_id"}, "Key", nil, ""},
			// The JSON API reports every failing field at once; the form
			// must agree (one validator for both).
			{"bad expiry and missing name", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {""}, "expires_at": {"soon"}},
				[]string{"expires_at", "name"}, "", nil, "soon"},
		}
		for _, tc := range invalid {
			t.Run(tc.name, func(t *testing.T) {
				before := htCount(t, env, "integrations")
				resp, body := c.Post("/integrations/new/node-api-key", tc.form)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422", resp.StatusCode)
				}
				if !strings.Contains(body, "<html") || !htHasTestID(body, "node-key-form") {
					t.Errorf("the answer is not the page with the form")
				}
				if got := htErrorFields(body); !slices.Equal(got, tc.wantErrors) {
					t.Errorf("field errors = %v, want %v", got, tc.wantErrors)
				}
				if !htHasTestID(body, "form-error") {
					t.Errorf("no form alert")
				}
				tag := htInput(body, "name", "")
				if v, _ := htAttr(tag, "value"); v != tc.keptName {
					t.Errorf("name input value = %q, want %q", v, tc.keptName)
				}
				tag = htInput(body, "expires_at", "")
				if v, _ := htAttr(tag, "value"); v != tc.keptExpiry {
					t.Errorf("expires_at input value = %q, want %q", v, tc.keptExpiry)
				}
				for _, p := range integrations.Permissions {
					tag := htInput(body, "permissions", p.Name)
					if tag == "" {
						t.Errorf("no checkbox for %s", p.Name)
						continue
					}
					checked := strings.Contains(tag, " checked")
					if want := slices.Contains(tc.keptPerms, p.Name); checked != want {
						t.Errorf("permission %s checked = %v, want %v", p.Name, checked, want)
					}
				}
				if nodeID := tc.form.Get("node_id"); nodeID == a1.ID && tc.form.Get("team_id") == a.ID && !htSelected(body, a1.ID) {
					t.Errorf("the chosen node is not selected any more")
				}
				if after := htCount(t, env, "integrations"); after != before {
					t.Errorf("integrations rows = %d, want %d (nothing created)", after, before)
				}
			})
		}

		t.Run("invalid with HX-Request", func(t *testing.T) {
			c.Header.Set("HX-Request", "true")
			defer c.Header.Del("HX-Request")
			resp, body := c.Post("/integrations/new/node-api-key", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {""}, "permissions": {"webhooks.manage"}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", resp.StatusCode)
			}
			if strings.Contains(strings.ToLower(body), "<html") || strings.Contains(strings.ToLower(body), "<!doctype") {
				t.Errorf("htmx answer is a full page, want only the form")
			}
			if !strings.HasPrefix(strings.TrimSpace(body), `<form id="node-key-form"`) {
				t.Errorf("htmx answer does not start with the form: %.100s", body)
			}
			if !htHasTestID(body, "error-name") {
				t.Errorf("htmx answer lacks error-name")
			}
			if tag := htInput(body, "permissions", "webhooks.manage"); !strings.Contains(tag, " checked") {
				t.Errorf("htmx answer lost the checked permission")
			}
			if !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request", resp.Header.Get("Vary"))
			}
		})

		t.Run("invalid page varies too", func(t *testing.T) {
			resp, _ := c.Post("/integrations/new/node-api-key", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}})
			if !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request", resp.Header.Get("Vary"))
			}
		})

		t.Run("success", func(t *testing.T) {
			resp, body := c.Post("/integrations/new/node-api-key", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {"  Production API  "},
				"permissions": {"payments.create", "payments.read"}, "expires_at": {"2099-12-31T23:59"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("status = %d, want 303; errors %v", resp.StatusCode, htErrorFields(body))
			}
			if loc := resp.Header.Get("Location"); !htRevealPathRE.MatchString(loc) {
				t.Errorf("Location = %q, want /reveal/{id}", loc)
			}
			row := htOnlyRow(t, env, a1.ID)
			if row.Name != "Production API" || row.Status != integrations.StatusActive || row.TeamID != a.ID {
				t.Errorf("row = name %q status %q team %s, want Production API active %s", row.Name, row.Status, row.TeamID, a.ID)
			}
			if want := time.Date(2099, 12, 31, 23, 59, 0, 0, time.UTC); row.ExpiresAt == nil || !row.ExpiresAt.Equal(want) {
				t.Errorf("expires_at = %v, want %v", row.ExpiresAt, want)
			}
			k := htNodeKey(t, env, row.ID)
			if !slices.Equal(k.Permissions, []string{"payments.read", "payments.create"}) {
				t.Errorf("permissions = %v, want [payments.read payments.create]", k.Permissions)
			}
			if !secrets.CheckToken("apex_", k.APIKey) {
				t.Errorf("api key %q has no valid apex_ checksum", k.APIKey)
			}
		})

		t.Run("success with HX-Request", func(t *testing.T) {
			c.Header.Set("HX-Request", "true")
			defer c.Header.Del("HX-Request")
			resp, body := c.Post("/integrations/new/node-api-key", url.Values{"team_id": {a.ID}, "node_id": {a2.ID}, "name": {"htmx key"}})
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status = %d, want 204; errors %v", resp.StatusCode, htErrorFields(body))
			}
			if loc := resp.Header.Get("HX-Redirect"); !htRevealPathRE.MatchString(loc) {
				t.Errorf("HX-Redirect = %q, want /reveal/{id}", loc)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("Location = %q, want none (the XHR would follow it and use up the reveal)", loc)
			}
			if n := htActive(t, env, a2.ID); n != 1 {
				t.Errorf("active keys of the node = %d, want 1", n)
			}
		})

		t.Run("second key for the node", func(t *testing.T) {
			resp, body := c.Post("/integrations/new/node-api-key", url.Values{"team_id": {a.ID}, "node_id": {a1.ID}, "name": {"Another"}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", resp.StatusCode)
			}
			if got := htErrorFields(body); !slices.Equal(got, []string{"node_id"}) {
				t.Errorf("field errors = %v, want [node_id]", got)
			}
			if n := htActive(t, env, a1.ID); n != 1 {
				t.Errorf("active keys of the node = %d, want exactly 1", n)
			}
			if tag := htInput(body, "name", ""); !strings.Contains(tag, `value="Another"`) {
				t.Errorf("the name was not kept: %s", tag)
			}
		})

		t.Run("concurrent creates for one node", func(t *testing.T) {
			var wg sync.WaitGroup
			codes := make([]int, 8)
			start := make(chan struct{})
			_, ck := htSignIn(t, env, "admin@example.com")
			// Each goroutine posts with the signed-in cookie and its token.
			_, page := htRaw(t, env, http.MethodGet, "/integrations/new/node-api-key", ck, nil, "")
			m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatal("no CSRF token on the form page")
			}
			form := url.Values{"_csrf": {m[1]}, "team_id": {a.ID}, "node_id": {a3.ID}, "name": {"race"}}.Encode()
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					resp, _, err := htRawErr(env, http.MethodPost, "/integrations/new/node-api-key", ck,
						http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form)
					if err == nil {
						codes[i] = resp.StatusCode
					}
				}()
			}
			close(start)
			wg.Wait()
			created := 0
			for _, code := range codes {
				switch code {
				case http.StatusSeeOther:
					created++
				case http.StatusUnprocessableEntity:
				default:
					t.Errorf("a concurrent create answered %d, want 303 or 422", code)
				}
			}
			if created != 1 || htActive(t, env, a3.ID) != 1 {
				t.Errorf("%d creates succeeded and the node has %d active keys, want 1 and 1 (codes %v)", created, htActive(t, env, a3.ID), codes)
			}
		})
	})
}

// ---- reveal ----

func TestReveal_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		n1 := env.CreateNode(team.ID, "edge-1")
		n2 := env.CreateNode(team.ID, "edge-2")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("other@example.com", sb.RoleAdmin)
		owner, _ := htSignIn(t, env, "admin@example.com")
		other, _ := htSignIn(t, env, "other@example.com")
		path := htCreateKey(t, owner, team.ID, n1.ID, "Reveal me")
		row := htOnlyRow(t, env, n1.ID)
		stored := htNodeKey(t, env, row.ID)

		steps := []struct {
			name       string
			client     *webtest.Client
			path       string
			want       int
			wantSecret bool
		}{
			{"anonymous", env.Client(), path, http.StatusSeeOther, false},
			{"another user first", other, path, http.StatusNotFound, false},
			{"unknown id", owner, "/reveal/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound, false},
			{"overlong id", owner, "/reveal/" + strings.Repeat("A", 300), http.StatusNotFound, false},
			{"owner first", owner, path, http.StatusOK, true},
			{"owner again", owner, path, http.StatusGone, false},
			{"owner a third time", owner, path, http.StatusGone, false},
			{"another user after", other, path, http.StatusNotFound, false},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				resp, body := st.client.Get(st.path)
				if resp.StatusCode != st.want {
					t.Fatalf("GET reveal = %d, want %d", resp.StatusCode, st.want)
				}
				if st.want == http.StatusSeeOther {
					return
				}
				if got := resp.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", got)
				}
				apiKey, hasKey := htText(body, "reveal-api_key")
				secret, hasSecret := htText(body, "reveal-secret")
				if !st.wantSecret {
					if hasKey || hasSecret || strings.Contains(body, "apexs_") {
						t.Errorf("the page shows a secret")
					}
					if st.want == http.StatusGone && !htHasTestID(body, "status-410") {
						t.Errorf("the 410 page lacks status-410")
					}
					return
				}
				if apiKey != stored.APIKey {
					t.Errorf("api_key shown = %q, want the stored %q", apiKey, stored.APIKey)
				}
				if !secrets.CheckToken("apexs_", secret) {
					t.Errorf("secret %q is not an apexs_ token", secret)
				}
				if !env.App.Services.VerifyNodeSecret(htRecord(t, env, row.ID), secret) {
					t.Errorf("the secret shown does not match the stored hash")
				}
				if !htHasTestID(body, "reveal-warning") {
					t.Errorf("no warning that the secret is shown once")
				}
				if !strings.Contains(body, `href="/integrations/`+row.ID+`"`) {
					t.Errorf("the done button does not lead to the integration")
				}
			})
		}

		t.Run("expired", func(t *testing.T) {
			path := htCreateKey(t, owner, team.ID, n2.ID, "Too late")
			env.Store.Now = func() time.Time { return time.Now().Add(integrations.RevealTTL + time.Minute) }
			defer func() { env.Store.Now = time.Now }()
			resp, body := owner.Get(path)
			if resp.StatusCode != http.StatusGone {
				t.Fatalf("GET expired reveal = %d, want 410", resp.StatusCode)
			}
			if strings.Contains(body, "apexs_") {
				t.Errorf("the expired page shows a secret")
			}
			if text, _ := htText(body, "message-text"); !strings.Contains(text, "expired") {
				t.Errorf("message = %q, want it to say the page expired", text)
			}
		})

	})
}

// TestRequestLog_RedactsSecretPaths checks that the request log shows the
// route pattern, not the secret, of /reveal/{id} and /setup/{token}, however
// the request ends (handler, redirect to sign-in, CSRF refusal).
func TestRequestLog_RedactsSecretPaths(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		setupToken := env.App.Access.SetupToken()
		setupPath := "/setup/" + setupToken
		anon := env.Client()
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		owner, _ := htSignIn(t, env, "admin@example.com")
		path := htCreateKey(t, owner, team.ID, node.ID, "Logged")
		revealID := strings.TrimPrefix(path, "/reveal/")
		steps := []struct {
			name, secret string
			do           func() int
		}{
			{"setup page", setupToken, func() int { r, _ := anon.Get(setupPath); return r.StatusCode }},
			{"setup post without CSRF", setupToken, func() int {
				r, _ := htPostNoCSRF(anon, setupPath, url.Values{"email": {"a@example.com"}})
				return r.StatusCode
			}},
			{"reveal by anonymous", revealID, func() int { r, _ := env.Client().Get(path); return r.StatusCode }},
			{"reveal by owner", revealID, func() int { r, _ := owner.Get(path); return r.StatusCode }},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				before := len(env.Logs.String())
				code := st.do()
				logs := env.Logs.String()[before:]
				if !strings.Contains(logs, "msg=request") {
					t.Fatalf("no request log line (status %d)", code)
				}
				for _, line := range strings.Split(logs, "\n") {
					if strings.Contains(line, st.secret) {
						t.Errorf("status %d: the log line carries the secret path segment: %s", code, line)
					}
				}
			})
		}
	})
}

// TestReveal_Head checks that a HEAD request (link checkers, prefetchers,
// curl -I) neither shows nor uses up a one-time reveal: only a GET does.
func TestReveal_Head(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, ck := htSignIn(t, env, "admin@example.com")
		path := htCreateKey(t, c, team.ID, node.ID, "Head")
		resp, body := htRaw(t, env, http.MethodHead, path, ck, nil, "")
		if body != "" {
			t.Errorf("HEAD has a body")
		}
		t.Logf("HEAD %s = %d", path, resp.StatusCode)
		resp, body = c.Get(path)
		if resp.StatusCode != http.StatusOK || !htHasTestID(body, "reveal-secret") {
			t.Errorf("GET after HEAD = %d, want 200 with the secret (the HEAD used up the reveal)", resp.StatusCode)
		}
	})
}

// TestReveal_ExactlyOnceUnderConcurrency fires 50 simultaneous GETs of one
// fresh reveal by its owner: exactly one may carry the secret.
func TestReveal_ExactlyOnceUnderConcurrency(t *testing.T) {
	const n = 50
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, ck := htSignIn(t, env, "admin@example.com")
		path := htCreateKey(t, c, team.ID, node.ID, "Race")
		row := htOnlyRow(t, env, node.ID)

		type result struct {
			code int
			body string
			err  error
		}
		results := make([]result, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, body, err := htRawErr(env, http.MethodGet, path, ck, nil, "")
				if err != nil {
					results[i] = result{err: err}
					return
				}
				results[i] = result{code: resp.StatusCode, body: body}
			}()
		}
		close(start)
		wg.Wait()

		ok, gone := 0, 0
		for i, r := range results {
			switch {
			case r.err != nil:
				t.Errorf("request %d: %v", i, r.err)
			case r.code == http.StatusOK:
				ok++
				secret, _ := htText(r.body, "reveal-secret")
				if !env.App.Services.VerifyNodeSecret(htRecord(t, env, row.ID), secret) {
					t.Errorf("request %d: 200 without the right secret (%q)", i, secret)
				}
			case r.code == http.StatusGone:
				gone++
				if strings.Contains(r.body, "apexs_") {
					t.Errorf("request %d: a 410 page carries a secret", i)
				}
			default:
				t.Errorf("request %d: status %d, want 200 or 410", i, r.code)
			}
		}
		if ok != 1 || gone != n-1 {
			t.Errorf("got %d × 200 and %d × 410, want 1 × 200 and %d × 410", ok, gone, n-1)
		}
		if resp, _ := c.Get(path); resp.StatusCode != http.StatusGone {
			t.Errorf("a later GET = %d, want 410", resp.StatusCode)
		}
	})
}

// ---- integration detail and revoke ----

func TestIntegration_Revoke(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		node := env.CreateNode(team.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		htCreateKey(t, c, team.ID, node.ID, "Doomed")
		row := htOnlyRow(t, env, node.ID)
		k := htNodeKey(t, env, row.ID)
		detail := "/integrations/" + row.ID

		t.Run("detail before", func(t *testing.T) {
			resp, body := c.Get(detail)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", detail, resp.StatusCode)
			}
			if got, _ := htText(body, "integration-status"); got != "active" {
				t.Errorf("status = %q, want active", got)
			}
			if got, _ := htText(body, "integration-name"); got != "Doomed" {
				t.Errorf("name = %q, want Doomed", got)
			}
			if !strings.Contains(body, k.APIKey) || !htHasTestID(body, "revoke") {
				t.Errorf("the page lacks the api key or the revoke button")
			}
			if strings.Contains(body, "apexs_") {
				t.Errorf("the detail page shows a secret")
			}
		})
		t.Run("revoke", func(t *testing.T) {
			resp, _ := c.Post(detail+"/revoke", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != detail {
				t.Fatalf("POST revoke = %d %q, want 303 %q", resp.StatusCode, resp.Header.Get("Location"), detail)
			}
			resp, body := c.Get(detail)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", detail, resp.StatusCode)
			}
			if flash, _ := htText(body, "flash"); !strings.Contains(flash, "revoked") {
				t.Errorf("flash = %q, want the revocation message", flash)
			}
			if got, _ := htText(body, "integration-status"); got != "revoked" {
				t.Errorf("status = %q, want revoked", got)
			}
			if htHasTestID(body, "revoke") {
				t.Errorf("a revoked integration still offers revoke")
			}
			r := htOnlyRow(t, env, node.ID)
			if r.Status != integrations.StatusRevoked || r.RevokedAt == nil {
				t.Errorf("row status %q revoked_at %v, want revoked with a time", r.Status, r.RevokedAt)
			}
			// The flash is shown once.
			if _, body := c.Get(detail); htHasTestID(body, "flash") {
				t.Errorf("the flash is shown again")
			}
		})
		t.Run("revoke again", func(t *testing.T) {
			resp, _ := c.Post(detail+"/revoke", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("second revoke = %d, want 303", resp.StatusCode)
			}
		})
		t.Run("revoke with HX-Request", func(t *testing.T) {
			c.Header.Set("HX-Request", "true")
			defer c.Header.Del("HX-Request")
			resp, _ := c.Post(detail+"/revoke", nil)
			if resp.StatusCode != http.StatusNoContent || resp.Header.Get("HX-Redirect") != detail {
				t.Errorf("htmx revoke = %d HX-Redirect %q, want 204 %q", resp.StatusCode, resp.Header.Get("HX-Redirect"), detail)
			}
		})
		t.Run("new key allowed", func(t *testing.T) {
			htCreateKey(t, c, team.ID, node.ID, "Replacement")
			if n := htActive(t, env, node.ID); n != 1 {
				t.Errorf("active keys = %d, want 1", n)
			}
		})
		for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid"} {
			t.Run("unknown "+id, func(t *testing.T) {
				if resp, _ := c.Get("/integrations/" + id); resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET = %d, want 404", resp.StatusCode)
				}
				if resp, _ := c.Post("/integrations/"+id+"/revoke", nil); resp.StatusCode != http.StatusNotFound {
					t.Errorf("POST revoke = %d, want 404", resp.StatusCode)
				}
			})
		}
	})
}

// ---- teams (admins) ----

func TestTeams_Post(t *testing.T) {
	uuidPath := regexp.MustCompile(`^/teams/[0-9a-f-]{36}$`)
	tokenRE := regexp.MustCompile(`sbt_[0-9A-Za-z]+`)
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport)
		c, _ := htSignIn(t, env, "admin@example.com")

		if resp, body := c.Get("/teams"); resp.StatusCode != http.StatusOK || !htHasTestID(body, "empty-teams") {
			t.Fatalf("GET /teams = %d (empty state %v), want 200 with the empty state", resp.StatusCode, htHasTestID(body, "empty-teams"))
		}

		var teamPath string
		t.Run("create team", func(t *testing.T) {
			for _, tc := range []struct {
				name, slug, teamName string
				wantErrors           []string
			}{
				{"bad slug", "Bad Slug!", "Payments", []string{"slug"}},
				{"slug with a trailing hyphen", "pay-", "Payments", []string{"slug"}},
				{"no name", "payments", "", []string{"name"}},
				{"nothing", "", "", []string{"name", "slug"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := c.Post("/teams", url.Values{"slug": {tc.slug}, "name": {tc.teamName}})
					if resp.StatusCode != http.StatusUnprocessableEntity {
						t.Fatalf("status = %d, want 422", resp.StatusCode)
					}
					if got := htErrorFields(body); !slices.Equal(got, tc.wantErrors) {
						t.Errorf("field errors = %v, want %v", got, tc.wantErrors)
					}
					if v, _ := htAttr(htInput(body, "slug", ""), "value"); v != tc.slug {
						t.Errorf("slug input = %q, want %q kept", v, tc.slug)
					}
					if n := htCount(t, env, "teams"); n != 0 {
						t.Errorf("teams = %d, want 0", n)
					}
				})
			}
			resp, _ := c.Post("/teams", url.Values{"slug": {"payments"}, "name": {"Payments"}})
			teamPath = resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !uuidPath.MatchString(teamPath) {
				t.Fatalf("create = %d %q, want 303 /teams/{id}", resp.StatusCode, teamPath)
			}
			resp, body := c.Get(teamPath)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", teamPath, resp.StatusCode)
			}
			if got, _ := htText(body, "team-name"); got != "Payments" {
				t.Errorf("team name = %q, want Payments", got)
			}
			if !htHasTestID(body, "flash") {
				t.Errorf("no flash after creating the team")
			}
			resp, body = c.Post("/teams", url.Values{"slug": {"payments"}, "name": {"Payments again"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(htErrorFields(body), []string{"slug"}) {
				t.Errorf("duplicate slug = %d %v, want 422 [slug]", resp.StatusCode, htErrorFields(body))
			}
			if n := htCount(t, env, "teams"); n != 1 {
				t.Errorf("teams = %d, want 1", n)
			}
			if _, body := c.Get("/teams"); !strings.Contains(body, `href="`+teamPath+`"`) {
				t.Errorf("/teams does not list the new team")
			}
		})
		if teamPath == "" {
			t.FailNow()
		}
		teamID := strings.TrimPrefix(teamPath, "/teams/")

		t.Run("add node", func(t *testing.T) {
			resp, _ := c.Post(teamPath+"/nodes", url.Values{"name": {"edge-1"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != teamPath {
				t.Fatalf("add node = %d %q, want 303 %s", resp.StatusCode, resp.Header.Get("Location"), teamPath)
			}
			_, body := c.Get(teamPath)
			if !htHasTestID(body, "node-row") || !strings.Contains(body, "edge-1") {
				t.Errorf("the team page does not list the node")
			}
			for _, tc := range []struct{ name, node string }{{"duplicate", "edge-1"}, {"empty", ""}, {"too long", strings.Repeat("x", 101)}} {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := c.Post(teamPath+"/nodes", url.Values{"name": {tc.node}})
					if resp.StatusCode != http.StatusUnprocessableEntity {
						t.Fatalf("status = %d, want 422", resp.StatusCode)
					}
					if got := htErrorFields(body); !slices.Equal(got, []string{"node_name"}) {
						t.Errorf("field errors = %v, want [node_name]", got)
					}
					if n := htCount(t, env, "nodes"); n != 1 {
						t.Errorf("nodes = %d, want 1", n)
					}
				})
			}
		})

		t.Run("add member", func(t *testing.T) {
			for _, tc := range []struct{ name, email string }{{"unknown email", "nobody@example.com"}, {"not an email", "nobody"}} {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := c.Post(teamPath+"/members", url.Values{"email": {tc.email}})
					if resp.StatusCode != http.StatusUnprocessableEntity {
						t.Fatalf("status = %d, want 422", resp.StatusCode)
					}
					if got := htErrorFields(body); !slices.Equal(got, []string{"email"}) {
						t.Errorf("field errors = %v, want [email]", got)
					}
					if v, _ := htAttr(htInput(body, "email", ""), "value"); v != tc.email {
						t.Errorf("email input = %q, want %q kept", v, tc.email)
					}
				})
			}
			resp, _ := c.Post(teamPath+"/members", url.Values{"email": {"Support@Example.com"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("add member = %d, want 303", resp.StatusCode)
			}
			_, body := c.Get(teamPath)
			if !strings.Contains(body, "support@example.com") {
				t.Errorf("the member list lacks support@example.com")
			}
			resp, body = c.Post(teamPath+"/members", url.Values{"email": {"support@example.com"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(htErrorFields(body), []string{"email"}) {
				t.Errorf("adding a member twice = %d %v, want 422 [email]", resp.StatusCode, htErrorFields(body))
			}
		})

		t.Run("create token", func(t *testing.T) {
			if _, body := c.Get(teamPath); !strings.Contains(body, `href="/tokens?team=`+teamID+`"`) {
				t.Errorf("the team page does not link to its API tokens")
			}
			resp, body := c.Post("/tokens", url.Values{"team_id": {teamID}, "name": {""}, "expires": {"30d"}, "access": {"read-write"}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !slices.Equal(htErrorFields(body), []string{"name"}) {
				t.Errorf("empty token name = %d %v, want 422 [name]", resp.StatusCode, htErrorFields(body))
			}
			tokens := map[bool]string{}
			for _, readOnly := range []bool{false, true} {
				form := url.Values{"team_id": {teamID}, "name": {fmt.Sprintf("deploy-%v", readOnly)}, "expires": {"never"}, "access": {"read-write"}}
				if readOnly {
					form.Set("access", "read-only")
				}
				resp, _ := c.Post("/tokens", form)
				loc := resp.Header.Get("Location")
				if resp.StatusCode != http.StatusSeeOther || !htRevealPathRE.MatchString(loc) {
					t.Fatalf("create token = %d %q, want 303 /reveal/{id}", resp.StatusCode, loc)
				}
				resp, body := c.Get(loc)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("token reveal = %d Cache-Control %q, want 200 no-store", resp.StatusCode, resp.Header.Get("Cache-Control"))
				}
				tok, _ := htText(body, "reveal-token")
				if !secrets.CheckToken("sbt_", tok) {
					t.Fatalf("revealed token %q is not a valid sbt_ token", tok)
				}
				tokens[readOnly] = tok
				if resp, _ := c.Get(loc); resp.StatusCode != http.StatusGone {
					t.Errorf("second token reveal = %d, want 410", resp.StatusCode)
				}
			}
			_, body = c.Get("/tokens?team=" + teamID)
			for _, tok := range tokens {
				if !strings.Contains(body, tok[:10]+"…") {
					t.Errorf("the tokens page does not list the token prefix %s…", tok[:10])
				}
				if strings.Contains(body, tok) {
					t.Errorf("the tokens page shows a whole token")
				}
			}
			if got := tokenRE.FindAllString(body, -1); len(got) != 2 {
				t.Errorf("tokens page shows %d token prefixes, want 2", len(got))
			}
			// The tokens work on the JSON API, scoped to the team.
			nodes, err := env.App.Access.Nodes(context.Background(), sb.Actor{Role: sb.RoleAdmin}, teamID)
			if err != nil || len(nodes) != 1 {
				t.Fatalf("team nodes = %v, %v; want 1", nodes, err)
			}
			if resp, _, raw := env.API(http.MethodGet, "/api/v1/integrations", tokens[false], nil); resp.StatusCode != http.StatusOK {
				t.Errorf("GET with the new token = %d %s, want 200", resp.StatusCode, raw)
			}
			if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations", tokens[true], map[string]any{"node_id": nodes[0].ID, "name": "ro"}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST with the read-only token = %d %s, want 403", resp.StatusCode, raw)
			}
			if resp, _, raw := env.API(http.MethodPost, "/api/v1/integrations", tokens[false], map[string]any{"node_id": nodes[0].ID, "name": "rw"}); resp.StatusCode != http.StatusCreated {
				t.Errorf("POST with the new token = %d %s, want 201", resp.StatusCode, raw)
			}
		})

		t.Run("unknown team", func(t *testing.T) {
			for _, path := range []string{"/teams/00000000-0000-4000-8000-000000000000", "/teams/not-a-uuid"} {
				if resp, _ := c.Get(path); resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
				}
				for _, sub := range []string{"/nodes", "/members"} {
					if resp, _ := c.Post(path+sub, url.Values{"name": {"x"}, "email": {"support@example.com"}}); resp.StatusCode != http.StatusNotFound {
						t.Errorf("POST %s%s = %d, want 404", path, sub, resp.StatusCode)
					}
				}
			}
		})
	})
}
