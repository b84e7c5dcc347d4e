// Package webtest assembles the real Switchboard app over a real, throwaway
// store for tests, with a log buffer to scan and a small browser-like client
// (cookie jar, CSRF token) that drives the app in-process through
// fiber.App.Test or over a real listener.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/valyala/fasthttp"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/secrets"
	"switchboard/web"
)

// Env is one app under test.
type Env struct {
	T     testing.TB
	App   *web.App
	Store *db.DB
	Keys  *secrets.Keyring
	Logs  *SyncBuffer
	// direct is the app's fasthttp handler, for ServeDirect.
	direct fasthttp.RequestHandler
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
// Reset drops what was logged so far (a benchmark's log lines would
// otherwise grow the buffer for the whole run).
func (b *SyncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAPIRateLimit is the per-token API rate limit of apps built by New:
// generous, so tests that send many requests with one token are not limited.
const TestAPIRateLimit = 100000

// New builds the app over a fresh store of dialect d.
func New(tb testing.TB, d db.Dialect) *Env {
	tb.Helper()
	return NewWith(tb, d, nil)
}

// NewWith builds the app like New after configure (if not nil) has changed
// the configuration, e.g. to set a small APIRateLimit.
func NewWith(tb testing.TB, d db.Dialect, configure func(*web.Config)) *Env {
	tb.Helper()
	return NewOnStore(tb, dbtest.MustOpenDB(tb, d), configure)
}

// NewOnStore builds the app like NewWith over a store the test opened (and
// closes) itself, e.g. one reached through a dbtest.Silencer.
func NewOnStore(tb testing.TB, store *db.DB, configure func(*web.Config)) *Env {
	tb.Helper()
	k, err := secrets.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(k)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := web.Config{BaseURL: "http://127.0.0.1", AllowPrivateTargets: true, APIRateLimit: TestAPIRateLimit, SecretSyncs: true}
	if configure != nil {
		configure(&cfg)
	}
	app := web.New(cfg, store, keys, log)
	return &Env{T: tb, App: app, Store: store, Keys: keys, Logs: logs}
}

// Admin is the password of every user the helpers create.
const Password = "correct horse battery staple"

// CreateUser creates a user directly through the domain.
func (e *Env) CreateUser(email string, role sb.Role, teamSlugs ...string) *db.User {
	e.T.Helper()
	u, err := e.App.Access.CreateUser(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, access.UserInput{Email: email, Password: Password, Role: role, TeamSlugs: teamSlugs})
	if err != nil {
		e.T.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// CreateTeam creates a team.
func (e *Env) CreateTeam(slug string) *db.Team {
	e.T.Helper()
	t, err := e.App.Access.CreateTeam(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, slug, strings.ToUpper(slug[:1])+slug[1:])
	if err != nil {
		e.T.Fatalf("create team %s: %v", slug, err)
	}
	return t
}

// CreateNode creates a node in a team.
func (e *Env) CreateNode(teamID, name string) *db.Node {
	e.T.Helper()
	n, err := e.App.Access.CreateNode(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, teamID, name)
	if err != nil {
		e.T.Fatalf("create node %s: %v", name, err)
	}
	return n
}

// CreateToken creates an API token of a team and returns its plaintext.
func (e *Env) CreateToken(teamID string, readOnly bool) string {
	e.T.Helper()
	plain, _, err := e.App.Access.CreateToken(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, access.TokenInput{TeamID: teamID, Name: "test-" + uuid.NewString()[:8], ReadOnly: readOnly})
	if err != nil {
		e.T.Fatalf("create token: %v", err)
	}
	return plain
}

// Listen serves the app on a loopback port until the test ends and returns its base URL.
func (e *Env) Listen() string {
	e.T.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.T.Fatal(err)
	}
	go e.App.Fiber.Listener(ln)
	e.T.Cleanup(func() { e.App.Fiber.Shutdown() })
	return "http://" + ln.Addr().String()
}

// Client is a browser-like client of the in-process app: it keeps cookies
// and the page's CSRF token, and does not follow redirects.
type Client struct {
	env  *Env
	jar  *cookiejar.Jar
	CSRF string
	// Header is added to every request (e.g. HX-Request).
	Header http.Header
}

// Client returns a new anonymous client.
func (e *Env) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{env: e, jar: jar, Header: http.Header{}}
}

var base, _ = url.Parse("http://127.0.0.1")

// CookieHeader is the Cookie header the client would send now.
func (c *Client) CookieHeader() string {
	req := &http.Request{Header: http.Header{}}
	for _, ck := range c.jar.Cookies(base) {
		req.AddCookie(ck)
	}
	return req.Header.Get("Cookie")
}

// ServeDirect runs one GET of path with the Cookie header through the
// app's handler on a reused fasthttp request context, with no connection,
// HTTP parsing or response decoding around it, so a benchmark's bytes and
// allocations per request are the server's own (what a real fasthttp
// server adds on top: reading and writing the socket). It returns the
// status and the body, which stays valid until the next call with rc.
func (e *Env) ServeDirect(rc *fasthttp.RequestCtx, path, cookie string) (int, []byte) {
	rc.Request.Reset()
	rc.Response.Reset()
	rc.ResetUserValues() // a server resets them per request: fiber keeps the user context there
	rc.Request.Header.SetMethod(http.MethodGet)
	rc.Request.SetRequestURI(path)
	rc.Request.Header.SetHost("127.0.0.1")
	if cookie != "" {
		rc.Request.Header.Set("Cookie", cookie)
	}
	if e.direct == nil {
		e.direct = e.App.Fiber.Handler()
	}
	e.direct(rc)
	return rc.Response.StatusCode(), rc.Response.Body()
}

// NewRequestCtx is a request context for ServeDirect.
func NewRequestCtx() *fasthttp.RequestCtx {
	rc := &fasthttp.RequestCtx{}
	rc.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	return rc
}

var csrfRE = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

// Do sends a request and returns the response with its body read.
func (c *Client) Do(method, path string, body io.Reader, contentType string) (*http.Response, string) {
	c.env.T.Helper()
	req, err := http.NewRequest(method, "http://127.0.0.1"+path, body)
	if err != nil {
		c.env.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for _, ck := range c.jar.Cookies(base) {
		req.AddCookie(ck)
	}
	resp, err := c.env.App.Fiber.Test(req, -1)
	if err != nil {
		c.env.T.Fatalf("%s %s: %v", method, path, err)
	}
	c.jar.SetCookies(base, resp.Cookies())
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfRE.FindStringSubmatch(string(b)); m != nil {
		c.CSRF = m[1]
	}
	return resp, string(b)
}

// Get fetches a page.
func (c *Client) Get(path string) (*http.Response, string) {
	c.env.T.Helper()
	return c.Do(http.MethodGet, path, nil, "")
}

// Post submits a form with the client's CSRF token (unless form sets _csrf).
func (c *Client) Post(path string, form url.Values) (*http.Response, string) {
	c.env.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		if c.CSRF == "" {
			c.Get("/sign-in")
		}
		form.Set("_csrf", c.CSRF)
	}
	return c.Do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// SignIn signs the client in as email (password Password).
func (c *Client) SignIn(email string) {
	c.env.T.Helper()
	c.Get("/sign-in")
	resp, body := c.Post("/sign-in", url.Values{"email": {email}, "password": {Password}})
	if resp.StatusCode != http.StatusSeeOther {
		c.env.T.Fatalf("sign in %s: status %d, want 303; body %.300s", email, resp.StatusCode, body)
	}
	c.Get("/integrations")
}

// API sends a JSON request with a bearer token and decodes a JSON answer.
func (e *Env) API(method, path, token string, body any) (*http.Response, map[string]any, string) {
	e.T.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, "http://127.0.0.1"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.App.Fiber.Test(req, -1)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m, string(b)
}

// NewSyncs is New with the secret-sync family served (web.Config.SecretSyncs),
// as New now serves it too (serve's default); kept for the family's tests.
func NewSyncs(tb testing.TB, d db.Dialect) *Env {
	tb.Helper()
	return NewWith(tb, d, func(c *web.Config) { c.SecretSyncs = true })
}
