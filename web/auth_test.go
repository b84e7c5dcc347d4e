package web_test

// In-process HTTP tests of who may do what in the browser: the first-run
// setup link, sign-in and its throttle, sessions, sign-out, CSRF on every
// state-changing route, the sign-in redirect and the support role's limits.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// ---- setup ----

func TestSetup_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		token := env.App.Access.SetupToken()
		for _, tc := range []struct {
			name, path string
			want       int
		}{
			{"right token, empty database", "/setup/" + token, http.StatusOK},
			{"wrong token", "/setup/" + strings.Repeat("0", len(token)), http.StatusNotFound},
			{"token prefix", "/setup/" + token[:len(token)-1], http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := env.Client().Get(tc.path)
				if resp.StatusCode != tc.want {
					t.Fatalf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.want)
				}
				if tc.want == http.StatusOK {
					if !htHasTestID(body, "setup-form") {
						t.Errorf("the page has no setup form")
					}
					if !strings.Contains(body, `action="/setup/`+token+`"`) {
						t.Errorf("the form does not post to the setup link")
					}
				} else if htHasTestID(body, "setup-form") {
					t.Errorf("a wrong link shows the setup form")
				}
			})
		}
	})
}

func TestSetup_Post(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		token := env.App.Access.SetupToken()
		path := "/setup/" + token
		c := env.Client()
		if resp, _ := c.Get(path); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", path, resp.StatusCode)
		}

		for _, tc := range []struct {
			name, email, password string
			wantErrors            []string
		}{
			{"short password", "root@example.com", "short-pw", []string{"password"}},
			{"bad email", "root", "a long enough password", []string{"email"}},
			{"both", "", "x", []string{"email", "password"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := c.Post(path, url.Values{"email": {tc.email}, "password": {tc.password}})
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422", resp.StatusCode)
				}
				if got := htErrorFields(body); !slices.Equal(got, tc.wantErrors) {
					t.Errorf("field errors = %v, want %v", got, tc.wantErrors)
				}
				for _, f := range tc.wantErrors {
					// The error sits right after its input.
					input := strings.Index(body, `name="`+f+`"`)
					msg := strings.Index(body, `data-testid="error-`+f+`"`)
					next := strings.Index(body[max(input, 0):], "<label")
					if input < 0 || msg < input || (next >= 0 && msg > input+next) {
						t.Errorf("error-%s is not next to its input", f)
					}
				}
				if v, _ := htAttr(htInput(body, "email", ""), "value"); v != tc.email {
					t.Errorf("email input = %q, want %q kept", v, tc.email)
				}
				if strings.Contains(body, tc.password) && len(tc.password) > 1 {
					t.Errorf("the page echoes the password")
				}
				if n := htCount(t, env, "users"); n != 0 {
					t.Errorf("users = %d, want 0", n)
				}
			})
		}

		t.Run("good", func(t *testing.T) {
			resp, _ := c.Post(path, url.Values{"email": {"Root@Example.com"}, "password": {"a long enough password"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/teams" {
				t.Fatalf("setup = %d %q, want 303 /teams", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body := c.Get("/teams")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /teams after setup = %d, want 200 (signed in as admin)", resp.StatusCode)
			}
			if who, _ := htText(body, "viewer"); who != "root@example.com" {
				t.Errorf("viewer = %q, want root@example.com", who)
			}
			if !htHasTestID(body, "flash") {
				t.Errorf("no welcome flash")
			}
			u, err := env.Store.UserByEmail(context.Background(), "root@example.com")
			if err != nil || u.Role != string(sb.RoleAdmin) {
				t.Fatalf("user = %+v, %v; want an admin", u, err)
			}
			if strings.Contains(u.PasswordHash, "a long enough password") || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
				t.Errorf("password hash = %.20s…, want argon2id", u.PasswordHash)
			}
		})

		t.Run("afterwards", func(t *testing.T) {
			for _, cl := range []*webtest.Client{c, env.Client()} {
				resp, body := cl.Get(path)
				if resp.StatusCode != http.StatusGone {
					t.Errorf("GET %s after setup = %d, want 410", path, resp.StatusCode)
				}
				if htHasTestID(body, "setup-form") {
					t.Errorf("the setup form is still shown")
				}
				resp, _ = cl.Post(path, url.Values{"email": {"second@example.com"}, "password": {"another long password"}})
				if resp.StatusCode != http.StatusGone {
					t.Errorf("POST %s after setup = %d, want 410", path, resp.StatusCode)
				}
			}
			if n := htCount(t, env, "users"); n != 1 {
				t.Errorf("users = %d, want 1", n)
			}
		})
	})
}

// TestSetup_PostConcurrently races six first-admin forms on one setup link:
// exactly one may create a user.
func TestSetup_PostConcurrently(t *testing.T) {
	const n = 6
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		path := "/setup/" + env.App.Access.SetupToken()
		type form struct {
			cookie *http.Cookie
			body   string
		}
		forms := make([]form, n)
		for i := range forms {
			resp, page := htRaw(t, env, http.MethodGet, path, nil, nil, "")
			m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(page)
			if resp.StatusCode != http.StatusOK || m == nil || htCookie(env, resp) == nil {
				t.Fatalf("GET %s = %d, want 200 with a cookie and a CSRF token", path, resp.StatusCode)
			}
			forms[i] = form{htCookie(env, resp), url.Values{"_csrf": {m[1]}, "email": {fmt.Sprintf("admin%d@example.com", i)}, "password": {"a long enough password"}}.Encode()}
		}
		codes := make([]int, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range forms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, _, err := htRawErr(env, http.MethodPost, path, forms[i].cookie, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, forms[i].body)
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
			case http.StatusGone:
			default:
				t.Errorf("a setup answered %d, want 303 or 410", code)
			}
		}
		if users := htCount(t, env, "users"); created != 1 || users != 1 {
			t.Errorf("%d setups succeeded and %d users exist, want 1 and 1 (codes %v)", created, users, codes)
		}
	})
}

// ---- sign-in and sign-out ----

func TestSignIn_Post(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("victim@example.com", sb.RoleSupport)

		var messages []string
		for _, tc := range []struct {
			name, email, password string
		}{
			{"wrong password", "admin@example.com", "wrong password 123"},
			{"unknown email", "nobody@example.com", "wrong password 123"},
			{"unknown email, right password", "nobody@example.com", webtest.Password},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := env.Client()
				c.Get("/sign-in")
				resp, body := c.Post("/sign-in", url.Values{"email": {tc.email}, "password": {tc.password}})
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status = %d, want 401", resp.StatusCode)
				}
				msg, ok := htText(body, "form-error")
				if !ok || msg == "" {
					t.Fatalf("no error message on the page")
				}
				messages = append(messages, msg)
				if v, _ := htAttr(htInput(body, "email", ""), "value"); v != tc.email {
					t.Errorf("email input = %q, want %q kept", v, tc.email)
				}
				if strings.Contains(body, tc.password) {
					t.Errorf("the page echoes the password")
				}
				if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusSeeOther {
					t.Errorf("after a failed sign-in GET /integrations = %d, want 303", resp.StatusCode)
				}
			})
		}
		for _, m := range messages[1:] {
			if m != messages[0] {
				t.Errorf("messages differ (%q vs %q): they tell whether the email exists", messages[0], m)
			}
		}
		if len(messages) > 0 && (strings.Contains(strings.ToLower(messages[0]), "no user") || strings.Contains(strings.ToLower(messages[0]), "not found")) {
			t.Errorf("message %q tells that the email is unknown", messages[0])
		}

		t.Run("next", func(t *testing.T) {
			for _, tc := range []struct{ next, want string }{
				{"", "/integrations"},
				{"/teams", "/teams"},
				{"/integrations/new/node-api-key?team_id=x", "/integrations/new/node-api-key?team_id=x"},
				{"//evil.com", "/integrations"},
				{"https://evil.com/", "/integrations"},
				{"/\\evil.com", "/integrations"},
				{"javascript:alert(1)", "/integrations"},
				{"/\r\nSet-Cookie: x=y", "/integrations"},
				// Browsers drop tabs and newlines inside a URL, so this
				// Location is //evil.com to them.
				{"/\t/evil.com", "/integrations"},
			} {
				t.Run(tc.next, func(t *testing.T) {
					c := env.Client()
					resp, body := c.Get("/sign-in?next=" + url.QueryEscape(tc.next))
					if v, _ := htAttr(htInput(body, "next", ""), "value"); v != tc.next {
						t.Errorf("hidden next = %q, want %q", v, tc.next)
					}
					resp, _ = c.Post("/sign-in", url.Values{"email": {"admin@example.com"}, "password": {webtest.Password}, "next": {tc.next}})
					loc := resp.Header.Get("Location")
					if resp.StatusCode != http.StatusSeeOther || loc != tc.want {
						t.Errorf("sign-in = %d Location %q, want 303 %q", resp.StatusCode, loc, tc.want)
					}
					// What a browser makes of the Location must stay on this host.
					clean := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
					if u, err := url.Parse("http://127.0.0.1/sign-in"); err == nil {
						if to, err := u.Parse(clean); err != nil || to.Host != "127.0.0.1" || (to.Scheme != "http" && to.Scheme != "https") {
							t.Errorf("Location %q leads a browser off the site (%v)", loc, to)
						}
					}
				})
			}
		})

		t.Run("throttle", func(t *testing.T) {
			c := env.Client()
			c.Get("/sign-in")
			for i := 1; i <= access.MaxFailsPerUser; i++ {
				resp, _ := c.Post("/sign-in", url.Values{"email": {"victim@example.com"}, "password": {"not the password"}})
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("failure %d = %d, want 401", i, resp.StatusCode)
				}
			}
			for _, tc := range []struct{ name, email, password string }{
				{"right password", "victim@example.com", webtest.Password},
				{"other case", "VICTIM@example.com", webtest.Password},
				{"wrong password", "victim@example.com", "nope nope nope"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := c.Post("/sign-in", url.Values{"email": {tc.email}, "password": {tc.password}})
					if resp.StatusCode != http.StatusTooManyRequests {
						t.Errorf("status = %d, want 429", resp.StatusCode)
					}
					if msg, _ := htText(body, "form-error"); msg == "" {
						t.Errorf("no message on the 429 page")
					}
					if htCookie(env, resp) != nil && resp.Header.Get("Location") != "" {
						t.Errorf("a throttled sign-in redirects")
					}
				})
			}
			if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("the throttled client is signed in")
			}
			// The limit is per account: another user still signs in.
			htSignIn(t, env, "admin@example.com")
		})
	})
}

func TestSignIn_NewSession(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		c := env.Client()
		resp, _ := c.Get("/sign-in")
		before := htCookie(env, resp)
		csrfBefore := c.CSRF
		if before == nil || csrfBefore == "" {
			t.Fatalf("the sign-in page set no session cookie or CSRF token")
		}
		resp, _ = c.Post("/sign-in", url.Values{"email": {"admin@example.com"}, "password": {webtest.Password}})
		after := htCookie(env, resp)
		if resp.StatusCode != http.StatusSeeOther || after == nil {
			t.Fatalf("sign-in = %d with cookie %v, want 303 and a new cookie", resp.StatusCode, after)
		}
		if after.Value == before.Value {
			t.Errorf("the session cookie did not change at sign-in")
		}
		if !after.HttpOnly || after.SameSite != http.SameSiteLaxMode || after.Path != "/" {
			t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, Lax, /", after.HttpOnly, after.SameSite, after.Path)
		}
		c.Get("/integrations")
		if c.CSRF == csrfBefore {
			t.Errorf("the CSRF token did not change at sign-in")
		}

		for _, tc := range []struct {
			name   string
			cookie *http.Cookie
			want   int
		}{
			{"pre-sign-in cookie", before, http.StatusSeeOther},
			{"new cookie", after, http.StatusOK},
			{"forged cookie", &http.Cookie{Name: after.Name, Value: after.Value[:len(after.Value)-4] + "AAAA"}, http.StatusSeeOther},
			{"garbage cookie", &http.Cookie{Name: after.Name, Value: "garbage"}, http.StatusSeeOther},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, _ := htRaw(t, env, http.MethodGet, "/integrations", tc.cookie, nil, "")
				if resp.StatusCode != tc.want {
					t.Errorf("GET /integrations = %d, want %d", resp.StatusCode, tc.want)
				}
			})
		}
		t.Run("sign-in page when signed in", func(t *testing.T) {
			resp, _ := c.Get("/sign-in")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations" {
				t.Errorf("GET /sign-in signed in = %d %q, want 303 /integrations", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
		t.Run("pre-sign-in CSRF token", func(t *testing.T) {
			resp, _ := htRaw(t, env, http.MethodPost, "/teams", after,
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
				url.Values{"_csrf": {csrfBefore}, "slug": {"fixation"}, "name": {"Fixation"}}.Encode())
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST with the pre-sign-in token = %d, want 403", resp.StatusCode)
			}
		})
	})
}

func TestSession_Timeouts(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		_, start := htSignIn(t, env, "admin@example.com")
		defer func() { env.App.Sessions.Now = time.Now }()
		at := func(d time.Duration) { env.App.Sessions.Now = func() time.Time { return time.Now().Add(d) } }

		t.Run("idle", func(t *testing.T) {
			for _, tc := range []struct {
				after time.Duration
				want  int
			}{
				{env.App.Sessions.Idle - time.Minute, http.StatusOK},
				{env.App.Sessions.Idle + time.Minute, http.StatusSeeOther},
			} {
				at(tc.after)
				resp, _ := htRaw(t, env, http.MethodGet, "/integrations", start, nil, "")
				if resp.StatusCode != tc.want {
					t.Errorf("GET /integrations %v after sign-in, idle since = %d, want %d", tc.after, resp.StatusCode, tc.want)
				}
			}
		})
		t.Run("absolute", func(t *testing.T) {
			// Stay active (a request every idle-10m) until past the absolute
			// limit, in a new session: the idle timeout above ended the first
			// one's row for good.
			env.App.Sessions.Now = time.Now
			_, ck := htSignIn(t, env, "admin@example.com")
			step := env.App.Sessions.Idle - 10*time.Minute
			for elapsed := step; ; elapsed += step {
				at(elapsed)
				resp, _ := htRaw(t, env, http.MethodGet, "/integrations", ck, nil, "")
				if elapsed <= env.App.Sessions.Absolute {
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("active session %v after sign-in = %d, want 200", elapsed, resp.StatusCode)
					}
					if next := htCookie(env, resp); next != nil {
						ck = next
					}
					continue
				}
				if resp.StatusCode != http.StatusSeeOther {
					t.Errorf("session %v after sign-in (absolute limit %v) = %d, want 303", elapsed, env.App.Sessions.Absolute, resp.StatusCode)
				}
				break
			}
		})
	})
}

// TestSession_Revocation changes the user row under a live session cookie:
// every request checks it, so the session ends (or loses access) at once.
func TestSession_Revocation(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		node := env.CreateNode(a.ID, "edge-1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		admin, _ := htSignIn(t, env, "admin@example.com")
		htCreateKey(t, admin, a.ID, node.ID, "Key")
		keyPath := "/integrations/" + htOnlyRow(t, env, node.ID).ID
		exec := func(t *testing.T, query string, args ...any) {
			t.Helper()
			x := env.Store.SQLX()
			if _, err := x.ExecContext(context.Background(), x.Rebind(query), args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		for _, tc := range []struct {
			name, email string
			role        sb.Role
			change      func(t *testing.T, u string)
			path        string
			want        int
		}{
			{"generation bumped", "gen@example.com", sb.RoleAdmin, func(t *testing.T, u string) {
				exec(t, `UPDATE users SET session_generation = session_generation + 1 WHERE id = ?`, u)
			}, "/integrations", http.StatusSeeOther},
			{"user disabled", "off@example.com", sb.RoleAdmin, func(t *testing.T, u string) {
				exec(t, `UPDATE users SET disabled_at = ? WHERE id = ?`, time.Now().UTC(), u)
			}, "/integrations", http.StatusSeeOther},
			{"user deleted", "gone@example.com", sb.RoleAdmin, func(t *testing.T, u string) {
				exec(t, `DELETE FROM reveals WHERE user_id = ?`, u)
				exec(t, `DELETE FROM users WHERE id = ?`, u)
			}, "/integrations", http.StatusSeeOther},
			{"removed from the team", "member@example.com", sb.RoleSupport, func(t *testing.T, u string) {
				exec(t, `DELETE FROM team_members WHERE user_id = ?`, u)
			}, keyPath, http.StatusNotFound},
			{"demoted to support", "demoted@example.com", sb.RoleAdmin, func(t *testing.T, u string) {
				exec(t, `UPDATE users SET role = 'support' WHERE id = ?`, u)
			}, "/teams", http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var u string
				if tc.role == sb.RoleSupport {
					u = env.CreateUser(tc.email, tc.role, "payments").ID
				} else {
					u = env.CreateUser(tc.email, tc.role).ID
				}
				c, _ := htSignIn(t, env, tc.email)
				if resp, _ := c.Get(tc.path); resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s before = %d, want 200", tc.path, resp.StatusCode)
				}
				tc.change(t, u)
				// A change made behind the app's back (as by another
				// instance or an operator) is heard within moments on
				// PostgreSQL (migration 019), at once on SQLite.
				got := 0
				for begin := time.Now(); ; time.Sleep(5 * time.Millisecond) {
					resp, _ := c.Get(tc.path)
					if got = resp.StatusCode; got == tc.want || env.Store.Dialect() == db.SQLite || time.Since(begin) > time.Second {
						break
					}
				}
				if got != tc.want {
					t.Errorf("GET %s after = %d, want %d", tc.path, got, tc.want)
				}
			})
		}
		t.Run("disabled user cannot sign in", func(t *testing.T) {
			c := env.Client()
			c.Get("/sign-in")
			resp, _ := c.Post("/sign-in", url.Values{"email": {"off@example.com"}, "password": {webtest.Password}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("sign-in of a disabled user = %d, want 401", resp.StatusCode)
			}
		})
	})
}

func TestSignOut_Post(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)

		t.Run("form", func(t *testing.T) {
			c, old := htSignIn(t, env, "admin@example.com")
			resp, _ := c.Post("/sign-out", nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
				t.Fatalf("sign-out = %d %q, want 303 /sign-in", resp.StatusCode, resp.Header.Get("Location"))
			}
			if htCookie(env, resp) == nil {
				t.Errorf("sign-out set no new cookie")
			}
			resp, _ = c.Get("/integrations")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in") {
				t.Errorf("GET /integrations after sign-out = %d %q, want 303 to sign-in", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, body := c.Get("/sign-in")
			if flash, _ := htText(body, "flash"); !strings.Contains(flash, "signed out") {
				t.Errorf("flash = %q, want the signed-out message", flash)
			}
			// A copy of the cookie from before sign-out: its session row is
			// ended, so it is signed out too.
			resp, _ = htRaw(t, env, http.MethodGet, "/integrations", old, nil, "")
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("replaying the pre-sign-out cookie: GET /integrations = %d, want 303", resp.StatusCode)
			}
		})

		t.Run("htmx", func(t *testing.T) {
			c, _ := htSignIn(t, env, "admin@example.com")
			c.Header.Set("HX-Request", "true")
			resp, _ := c.Post("/sign-out", nil)
			c.Header.Del("HX-Request")
			if resp.StatusCode != http.StatusNoContent || resp.Header.Get("HX-Redirect") != "/sign-in" {
				t.Errorf("htmx sign-out = %d HX-Redirect %q, want 204 /sign-in", resp.StatusCode, resp.Header.Get("HX-Redirect"))
			}
			if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("GET /integrations after sign-out = %d, want 303", resp.StatusCode)
			}
		})
	})
}

// ---- CSRF ----

func TestCSRF_Post(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		n1 := env.CreateNode(team.ID, "edge-1")
		n2 := env.CreateNode(team.ID, "edge-2")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("other@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport)
		c, ck := htSignIn(t, env, "admin@example.com")
		other, _ := htSignIn(t, env, "other@example.com")
		htCreateKey(t, c, team.ID, n1.ID, "Key")
		integrationID := htOnlyRow(t, env, n1.ID).ID
		anon := env.Client()
		anon.Get("/sign-in")

		routes := []struct {
			path string
			form url.Values
		}{
			{"/sign-in", url.Values{"email": {"admin@example.com"}, "password": {webtest.Password}}},
			{"/sign-out", url.Values{}},
			{"/setup/" + env.App.Access.SetupToken(), url.Values{"email": {"x@example.com"}, "password": {"a long enough password"}}},
			{"/integrations/new/node-api-key", url.Values{"team_id": {team.ID}, "node_id": {n2.ID}, "name": {"Forged"}}},
			{"/integrations/" + integrationID + "/revoke", url.Values{}},
			{"/teams", url.Values{"slug": {"forged"}, "name": {"Forged"}}},
			{"/teams/" + team.ID + "/members", url.Values{"email": {"support@example.com"}}},
			{"/teams/" + team.ID + "/nodes", url.Values{"name": {"forged-node"}}},
			{"/tokens", url.Values{"team_id": {team.ID}, "name": {"forged-token"}, "expires": {"30d"}, "access": {"read-write"}}},
		}
		modes := []struct {
			name   string
			token  func() (string, bool)
			header http.Header
		}{
			{"no token", func() (string, bool) { return "", false }, nil},
			{"empty token", func() (string, bool) { return "", true }, nil},
			{"another session's token", func() (string, bool) { return other.CSRF, true }, nil},
			{"an anonymous session's token", func() (string, bool) { return anon.CSRF, true }, nil},
			{"token in the wrong header", func() (string, bool) { return "", false }, http.Header{"X-Csrftoken": {c.CSRF}}},
			{"foreign Origin", func() (string, bool) { return c.CSRF, true }, http.Header{"Origin": {"https://evil.example"}}},
			{"lookalike Origin", func() (string, bool) { return c.CSRF, true }, http.Header{"Origin": {"http://127.0.0.1.evil.example"}}},
			{"cross-site fetch", func() (string, bool) { return c.CSRF, true }, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		}
		before := htCounts(t, env)
		for _, r := range routes {
			for _, m := range modes {
				t.Run(r.path+"/"+m.name, func(t *testing.T) {
					form := url.Values{}
					for k, v := range r.form {
						form[k] = v
					}
					if tok, ok := m.token(); ok {
						form.Set("_csrf", tok)
					}
					hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
					for k, v := range m.header {
						hdr[k] = v
					}
					resp, body := htRaw(t, env, http.MethodPost, r.path, ck, hdr, form.Encode())
					if resp.StatusCode != http.StatusForbidden {
						t.Errorf("POST %s (%s) = %d, want 403", r.path, m.name, resp.StatusCode)
					}
					if !strings.Contains(body, "403") {
						t.Errorf("body %.100q does not say 403", body)
					}
				})
			}
		}
		if after := htCounts(t, env); !mapsEqual(before, after) {
			t.Errorf("forged posts changed the database: before %v, after %v", before, after)
		}
		if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusOK {
			t.Errorf("a forged sign-out signed the user out: GET /integrations = %d", resp.StatusCode)
		}
		if r := htOnlyRow(t, env, n1.ID); r.Status != integrations.StatusActive {
			t.Errorf("a forged revoke revoked the key: status %q", r.Status)
		}

		t.Run("X-CSRF-Token header instead of the field", func(t *testing.T) {
			hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-CSRF-Token": {c.CSRF}, "HX-Request": {"true"}}
			resp, _ := htRaw(t, env, http.MethodPost, "/teams", ck, hdr, url.Values{"slug": {"htmx-team"}, "name": {"Htmx team"}}.Encode())
			if resp.StatusCode != http.StatusNoContent || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/teams/") {
				t.Errorf("POST /teams with X-CSRF-Token = %d HX-Redirect %q, want 204 /teams/{id}", resp.StatusCode, resp.Header.Get("HX-Redirect"))
			}
			if _, err := env.Store.TeamBySlug(context.Background(), "htmx-team"); err != nil {
				t.Errorf("team not created: %v", err)
			}
		})
		t.Run("wrong X-CSRF-Token header beats a right field", func(t *testing.T) {
			hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-CSRF-Token": {other.CSRF}}
			resp, _ := htRaw(t, env, http.MethodPost, "/teams", ck, hdr, url.Values{"_csrf": {c.CSRF}, "slug": {"mixed"}, "name": {"Mixed"}}.Encode())
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("status = %d, want 403", resp.StatusCode)
			}
		})
		t.Run("same-origin Origin", func(t *testing.T) {
			hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"http://127.0.0.1"}, "Sec-Fetch-Site": {"same-origin"}}
			resp, _ := htRaw(t, env, http.MethodPost, "/teams/"+team.ID+"/nodes", ck, hdr, url.Values{"_csrf": {c.CSRF}, "name": {"same-origin"}}.Encode())
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("status = %d, want 303", resp.StatusCode)
			}
		})
	})
}

// ---- anonymous visitors ----

func TestRequireUser_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		for _, tc := range []struct {
			name, path string
			htmx       bool
		}{
			{"integrations", "/integrations", false},
			{"with a query", "/integrations/new/node-api-key?team_id=" + team.ID, false},
			{"teams", "/teams", false},
			{"team", "/teams/" + team.ID, false},
			{"integrations via htmx", "/integrations", true},
			{"node fragment via htmx", "/integrations/new/node-api-key/nodes?team_id=" + team.ID, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := env.Client()
				if tc.htmx {
					c.Header.Set("HX-Request", "true")
				}
				resp, body := c.Get(tc.path)
				want := "/sign-in?next=" + url.QueryEscape(tc.path)
				if tc.htmx {
					if got := resp.Header.Get("HX-Redirect"); got != want {
						t.Errorf("HX-Redirect = %q, want %q", got, want)
					}
					if resp.StatusCode == http.StatusOK || resp.StatusCode/100 == 3 {
						t.Errorf("status = %d, want a non-2xx, non-3xx answer (the XHR must not follow or swap)", resp.StatusCode)
					}
				} else if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
					t.Errorf("GET %s = %d %q, want 303 %q", tc.path, resp.StatusCode, resp.Header.Get("Location"), want)
				}
				if strings.Contains(body, team.ID) && !tc.htmx {
					t.Errorf("the redirect body shows team data")
				}
			})
		}
		t.Run("post", func(t *testing.T) {
			c := env.Client()
			c.Get("/sign-in")
			resp, _ := c.Post("/teams", url.Values{"slug": {"anon"}, "name": {"Anon"}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
				t.Errorf("anonymous POST /teams = %d %q, want 303 /sign-in", resp.StatusCode, resp.Header.Get("Location"))
			}
			if n := htCount(t, env, "teams"); n != 1 {
				t.Errorf("teams = %d, want 1", n)
			}
		})
	})
}

// ---- the support role ----

func TestRoles_Support(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		a1 := env.CreateNode(a.ID, "edge-a1")
		a2 := env.CreateNode(a.ID, "edge-a2")
		b1 := env.CreateNode(b.ID, "edge-b1")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		admin, _ := htSignIn(t, env, "admin@example.com")
		htCreateKey(t, admin, a.ID, a1.ID, "Key of A")
		revealB := htCreateKey(t, admin, b.ID, b1.ID, "Key of B")
		keyA := htOnlyRow(t, env, a1.ID).ID
		keyB := htOnlyRow(t, env, b1.ID).ID
		sup, _ := htSignIn(t, env, "support@example.com")

		for _, tc := range []struct {
			name, path string
			want       int
			has, lacks []string
		}{
			{"teams list", "/teams", http.StatusNotFound, nil, []string{"Ledger", b.ID}},
			{"own team page", "/teams/" + a.ID, http.StatusNotFound, nil, []string{"edge-a1"}},
			{"other team page", "/teams/" + b.ID, http.StatusNotFound, nil, []string{"edge-b1", "Ledger"}},
			{"integrations", "/integrations", http.StatusOK, []string{"Key of A", keyA}, []string{"Key of B", keyB, "Ledger"}},
			{"own integration", "/integrations/" + keyA, http.StatusOK, []string{"Key of A"}, nil},
			{"other team's integration", "/integrations/" + keyB, http.StatusNotFound, nil, []string{"Key of B", "edge-b1"}},
			{"admin's reveal", revealB, http.StatusNotFound, nil, []string{"apex_"}},
			{"node fragment of B", "/integrations/new/node-api-key/nodes?team_id=" + b.ID, http.StatusNotFound, nil, []string{b1.ID, "edge-b1"}},
			{"node fragment of A", "/integrations/new/node-api-key/nodes?team_id=" + a.ID, http.StatusOK, []string{a1.ID, a2.ID}, nil},
			{"form preselects the one team", "/integrations/new/node-api-key", http.StatusOK, []string{a.ID, a1.ID}, []string{b.ID, b1.ID, "Ledger"}},
			{"form with B in the query", "/integrations/new/node-api-key?team_id=" + b.ID, http.StatusOK, nil, []string{b.ID, b1.ID, "Ledger"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := sup.Get(tc.path)
				if resp.StatusCode != tc.want {
					t.Fatalf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.want)
				}
				for _, s := range tc.has {
					if !strings.Contains(body, s) {
						t.Errorf("page lacks %q", s)
					}
				}
				for _, s := range tc.lacks {
					if strings.Contains(body, s) {
						t.Errorf("page shows %q", s)
					}
				}
			})
		}
		t.Run("no Teams link", func(t *testing.T) {
			if _, body := sup.Get("/integrations"); strings.Contains(body, `href="/teams"`) {
				t.Errorf("the navigation offers /teams to support staff")
			}
		})

		before := htCounts(t, env)
		for _, tc := range []struct {
			name, path string
			form       url.Values
			want       int
			lacks      []string
		}{
			{"revoke B's key", "/integrations/" + keyB + "/revoke", nil, http.StatusNotFound, nil},
			{"key for B's node in A", "/integrations/new/node-api-key", url.Values{"team_id": {a.ID}, "node_id": {b1.ID}, "name": {"Sneaky"}}, http.StatusUnprocessableEntity, []string{b1.ID, "edge-b1", "Ledger"}},
			{"key for B's node in B", "/integrations/new/node-api-key", url.Values{"team_id": {b.ID}, "node_id": {b1.ID}, "name": {"Sneaky"}}, http.StatusUnprocessableEntity, []string{"edge-b1", "Ledger"}},
			{"create team", "/teams", url.Values{"slug": {"mine"}, "name": {"Mine"}}, http.StatusNotFound, nil},
			{"add node to own team", "/teams/" + a.ID + "/nodes", url.Values{"name": {"mine"}}, http.StatusNotFound, nil},
			{"add member to own team", "/teams/" + a.ID + "/members", url.Values{"email": {"admin@example.com"}}, http.StatusNotFound, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := sup.Post(tc.path, tc.form)
				if resp.StatusCode != tc.want {
					t.Fatalf("POST %s = %d, want %d", tc.path, resp.StatusCode, tc.want)
				}
				if tc.want == http.StatusUnprocessableEntity && !htHasTestID(body, "error-node_id") {
					t.Errorf("no node_id error; errors %v", htErrorFields(body))
				}
				for _, s := range tc.lacks {
					if strings.Contains(body, s) {
						t.Errorf("answer shows %q", s)
					}
				}
			})
		}
		if after := htCounts(t, env); !mapsEqual(before, after) {
			t.Errorf("refused posts changed the database: before %v, after %v", before, after)
		}
		if r := htOnlyRow(t, env, b1.ID); r.Status != integrations.StatusActive {
			t.Errorf("B's key status = %q, want active", r.Status)
		}

		t.Run("own team's node", func(t *testing.T) {
			htCreateKey(t, sup, a.ID, a2.ID, "Support key")
		})
		t.Run("admin's reveal still unread", func(t *testing.T) {
			resp, body := admin.Get(revealB)
			if resp.StatusCode != http.StatusOK || !htHasTestID(body, "reveal-secret") {
				t.Errorf("admin's reveal = %d, want 200 with the secret (the support user's attempt must not use it up)", resp.StatusCode)
			}
		})
	})
}
