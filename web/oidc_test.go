package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web"
	"switchboard/web/webtest"
)

// testIdP is an OpenID Connect provider for the tests: discovery, an
// authorization endpoint that approves at once, a token endpoint that
// checks the client's secret, the redirect URI and the PKCE verifier (S256)
// and spends each code once, and a JWKS with a real RSA key. Tamper, when
// set, changes the next ID token's claims or signs it with another key.
type testIdP struct {
	t      *testing.T
	srv    *httptest.Server
	key    *rsa.PrivateKey
	other  *rsa.PrivateKey
	client string
	secret string

	mu    sync.Mutex
	codes map[string]idpCode
	// Claims are the next ID token's user claims (email, email_verified, sub, groups).
	Claims map[string]any
	// Tamper edits the next ID token's claims; OtherKey signs it with a key not in the JWKS.
	Tamper   func(map[string]any)
	OtherKey bool
}

type idpCode struct{ challenge, nonce, redirect string }

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	k1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testIdP{t: t, key: k1, other: k2, client: "switchboard-test", secret: "idp-client-secret-0123456789", codes: map[string]idpCode{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k1.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != p.client || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		code := "code-" + base64.RawURLEncoding.EncodeToString(randBytes(t, 12))
		p.mu.Lock()
		p.codes[code] = idpCode{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		p.mu.Lock()
		c, found := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case id != p.client || secret != p.secret:
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		case !found || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != c.redirect ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + r.PostForm.Get("code"), "token_type": "Bearer", "expires_in": 300, "id_token": p.idToken(c.nonce)})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func (p *testIdP) idToken(nonce string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	claims := map[string]any{"iss": p.srv.URL, "aud": p.client, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": nonce}
	for k, v := range p.Claims {
		claims[k] = v
	}
	if p.Tamper != nil {
		p.Tamper(claims)
	}
	key := p.key
	if p.OtherKey {
		key = p.other
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		p.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	sig, err := signer.Sign(payload)
	if err != nil {
		p.t.Fatal(err)
	}
	out, err := sig.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

func (p *testIdP) config(jit bool) access.OIDCConfig {
	return access.OIDCConfig{Issuer: p.srv.URL, ClientID: p.client, ClientSecret: p.secret, ProviderName: "Test IdP", JIT: jit, AdminGroup: "sb-admins"}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}

// ocSSO runs the browser side of one single sign-on with an in-process
// client: Switchboard → provider → callback. It returns the callback's
// answer and the callback path (to replay).
func ocSSO(t *testing.T, c *webtest.Client) (*http.Response, string, string) {
	t.Helper()
	resp, _ := c.Get("/sign-in/oidc")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/authorize?") {
		t.Fatalf("GET /sign-in/oidc = %d %q, want 303 to the provider", resp.StatusCode, resp.Header.Get("Location"))
	}
	idpResp, err := noFollow.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	idpResp.Body.Close()
	if idpResp.StatusCode != http.StatusFound {
		t.Fatalf("provider authorize = %d, want 302 (the request Switchboard built was refused)", idpResp.StatusCode)
	}
	back, _ := url.Parse(idpResp.Header.Get("Location"))
	cb := back.Path + "?" + back.RawQuery
	resp, body := c.Get(cb)
	return resp, body, cb
}

// ocLastRefusal returns the details of the newest user.sign_in_failed row.
func ocLastRefusal(t *testing.T, env *webtest.Env) map[string]any {
	t.Helper()
	var details string
	x := env.Store.SQLX()
	if err := x.GetContext(context.Background(), &details, `SELECT details FROM audit_events WHERE action = 'user.sign_in_failed' ORDER BY at DESC, id DESC LIMIT 1`); err != nil {
		t.Fatalf("no refusal audited: %v", err)
	}
	var m map[string]any
	json.Unmarshal([]byte(details), &m)
	return m
}

// TestOIDC_SignIn signs in through a test OpenID Connect provider (real RSA
// signatures, JWKS, PKCE): a known verified email signs in, audited with
// issuer and subject; a wrong audience, a wrong nonce, an expired token, a
// bad signature, a replayed state, an unverified email and an unknown user
// are each refused (401) and audited with the issuer and why; with JIT a new
// user is created with the role and teams of its groups claim. SQLite and
// PostgreSQL.
func TestOIDC_SignIn(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			idp := newTestIdP(t)
			env := webtest.NewWith(t, d, func(c *web.Config) { c.OIDC = idp.config(false) })
			env.CreateUser("ann@example.com", sb.RoleSupport)
			_, body := env.Client().Get("/sign-in")
			if !strings.Contains(body, "Sign in with Test IdP") || !strings.Contains(body, `data-testid="sign-in-form"`) {
				t.Errorf("sign-in page lacks the SSO button or the password form")
			}
			ann := map[string]any{"sub": "sub-ann", "email": "Ann@Example.com", "email_verified": true}

			idp.Claims = ann
			c := env.Client()
			// A copy of the cookie as it is just before the callback (the
			// flow's state inside) is kept to replay the callback with it.
			start, _ := c.Get("/sign-in/oidc")
			preCallback := htCookie(env, start)
			idpResp, err := noFollow.Get(start.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			idpResp.Body.Close()
			back, _ := url.Parse(idpResp.Header.Get("Location"))
			cb := back.Path + "?" + back.RawQuery
			resp, _ := c.Get(cb)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations" {
				t.Fatalf("SSO sign-in = %d %q, want 303 /integrations", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /integrations after SSO = %d, want 200", resp.StatusCode)
			}
			var details string
			x := env.Store.SQLX()
			if err := x.GetContext(context.Background(), &details, `SELECT details FROM audit_events WHERE action = 'user.sign_in' ORDER BY at DESC LIMIT 1`); err != nil || !strings.Contains(details, idp.srv.URL) || !strings.Contains(details, "sub-ann") {
				t.Errorf("the sign-in audit row's details = %s (%v), want the issuer and the subject", details, err)
			}

			// The same callback again: its state was used.
			resp, _ = c.Get(cb)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("replayed callback = %d, want 401", resp.StatusCode)
			}
			if r := ocLastRefusal(t, env); r["reason"] != "unknown or already used state" || r["issuer"] != idp.srv.URL {
				t.Errorf("replayed state audited as %v", r)
			}
			// With the copied pre-callback cookie the state matches, and the
			// spent code is refused by the provider: no session either way.
			resp, _ = htRaw(t, env, http.MethodGet, cb, preCallback, nil, "")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("callback replayed with the pre-callback cookie = %d, want 401", resp.StatusCode)
			}
			if r := ocLastRefusal(t, env); r["reason"] != "the code exchange failed" {
				t.Errorf("replay with the copied cookie audited as %v, want the code exchange refused", r)
			}

			for _, tc := range []struct {
				name, reason string
				setup        func()
			}{
				{"wrong audience", "the ID token failed verification: wrong audience", func() { idp.Tamper = func(m map[string]any) { m["aud"] = "someone-else" } }},
				{"wrong nonce", "wrong nonce", func() { idp.Tamper = func(m map[string]any) { m["nonce"] = "not-the-nonce" } }},
				{"expired", "the ID token failed verification: expired", func() {
					idp.Tamper = func(m map[string]any) {
						m["exp"] = time.Now().Add(-10 * time.Minute).Unix()
						m["iat"] = time.Now().Add(-20 * time.Minute).Unix()
					}
				}},
				{"bad signature", "the ID token failed verification: bad signature", func() { idp.OtherKey = true }},
				{"unverified email", "the email is not verified", func() { idp.Tamper = func(m map[string]any) { m["email_verified"] = false } }},
				{"unknown user", "no user with this email", func() { idp.Tamper = func(m map[string]any) { m["email"] = "nobody@example.com" } }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					idp.Claims, idp.Tamper, idp.OtherKey = ann, nil, false
					tc.setup()
					defer func() { idp.Tamper, idp.OtherKey = nil, false }()
					before := usAudit(t, env, "user.sign_in_failed")
					c := env.Client()
					resp, body, _ := ocSSO(t, c)
					if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "refused") {
						t.Errorf("%s: callback = %d, want 401 with the refusal on the sign-in page", tc.name, resp.StatusCode)
					}
					if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusSeeOther {
						t.Errorf("%s: GET /integrations = %d, want 303 (not signed in)", tc.name, resp.StatusCode)
					}
					if got := usAudit(t, env, "user.sign_in_failed") - before; got != 1 {
						t.Errorf("%s: %d refusal rows, want 1", tc.name, got)
					}
					if r := ocLastRefusal(t, env); r["reason"] != tc.reason || r["issuer"] != idp.srv.URL || r["method"] != "oidc" {
						t.Errorf("%s: refusal audited as %v, want reason %q with the issuer", tc.name, r, tc.reason)
					}
				})
			}
		})
	}
}

// TestOIDC_JIT: with just-in-time creation an unknown verified email
// becomes a user whose groups claim gives its role and teams; with password
// sign-in off the page offers only SSO and a password post is refused.
func TestOIDC_JIT(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			idp := newTestIdP(t)
			env := webtest.NewWith(t, d, func(c *web.Config) { c.OIDC = idp.config(true); c.PasswordSignInOff = true })
			team := env.CreateTeam("payments")
			env.CreateUser("ann@example.com", sb.RoleSupport)
			_, body := env.Client().Get("/sign-in")
			if !strings.Contains(body, "Sign in with Test IdP") || strings.Contains(body, `data-testid="sign-in-form"`) {
				t.Errorf("with password sign-in off the page must show only the SSO button")
			}
			pw := env.Client()
			pw.Get("/sign-in")
			if resp, _ := pw.Post("/sign-in", url.Values{"email": {"ann@example.com"}, "password": {webtest.Password}}); resp.StatusCode != http.StatusNotFound {
				t.Errorf("password sign-in while off = %d, want 404", resp.StatusCode)
			}
			for _, tc := range []struct {
				email, role string
				groups      []any
				teams       []string
			}{
				{"new.support@example.com", "support", []any{"payments", "unknown-team"}, []string{team.ID}},
				{"new.admin@example.com", "admin", []any{"sb-admins"}, nil},
			} {
				idp.Claims = map[string]any{"sub": "sub-" + tc.email, "email": tc.email, "email_verified": true, "groups": tc.groups}
				c := env.Client()
				if resp, _, _ := ocSSO(t, c); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("JIT sign-in of %s = %d, want 303", tc.email, resp.StatusCode)
				}
				u, err := env.Store.UserByEmail(context.Background(), tc.email)
				if err != nil {
					t.Fatalf("JIT user %s: %v", tc.email, err)
				}
				teams, _ := env.Store.UserTeamIDs(context.Background(), u.ID)
				if u.Role != tc.role || len(teams) != len(tc.teams) || (len(teams) == 1 && teams[0] != tc.teams[0]) {
					t.Errorf("JIT user %s: role %s teams %v, want %s %v", tc.email, u.Role, teams, tc.role, tc.teams)
				}
				if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusOK {
					t.Errorf("JIT user %s GET /integrations = %d, want 200", tc.email, resp.StatusCode)
				}
			}
		})
	}
}

// TestBrowser_OIDC signs in end to end in Chromium through the test
// provider: the "Sign in with Test IdP" button, the provider's redirect,
// and the callback land on the integrations list.
func TestBrowser_OIDC(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) { testOIDCBrowser(t, browser, d) })
	}
}

func testOIDCBrowser(t *testing.T, browser context.Context, d db.Dialect) {
	idp := newTestIdP(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	env := webtest.NewWith(t, d, func(c *web.Config) {
		c.BaseURL = base
		c.OIDC = idp.config(false)
	})
	go env.App.Fiber.Listener(ln)
	t.Cleanup(func() { env.App.Fiber.Shutdown() })
	env.CreateUser("ann@example.com", sb.RoleSupport)
	idp.Claims = map[string]any{"sub": "sub-ann", "email": "ann@example.com", "email_verified": true}
	p := newTab(t, browser, base, "oidc-"+string(d))
	p.open("sign-in page", "/sign-in", 200)
	p.follow("sign in with the provider", 200, chromedp.Click(testID("sign-in-sso")))
	p.wantPath("signed in through SSO", "/integrations")
	p.wantNoConsoleErrors()
}
