package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	sb "switchboard"
	"switchboard/web/webtest"
)

// ssRows returns the session ids listed on a page and the id marked as
// the current session.
func ssRows(t *testing.T, body string) (ids []string, current string) {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	doc.Find(`[data-testid="session-row"]`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-session-id")
		ids = append(ids, id)
		if s.Find(`[data-testid="current-session"]`).Length() > 0 {
			current = id
		}
	})
	return ids, current
}

// ssSignedOut wants a request with exactly cookie ck to answer as signed out.
func ssSignedOut(t *testing.T, env *webtest.Env, ck *http.Cookie, what string) {
	t.Helper()
	resp, _ := htRaw(t, env, http.MethodGet, "/integrations", ck, nil, "")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in") {
		t.Errorf("%s: GET /integrations = %d %q, want 303 to /sign-in", what, resp.StatusCode, resp.Header.Get("Location"))
	}
}

func ssSignedIn(t *testing.T, env *webtest.Env, ck *http.Cookie, what string) {
	t.Helper()
	if resp, _ := htRaw(t, env, http.MethodGet, "/integrations", ck, nil, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("%s: GET /integrations = %d, want 200 (still signed in)", what, resp.StatusCode)
	}
}

// TestSessions_AccountList signs one user in from two browsers: the
// account page lists both (this one marked), ending the other signs it
// and every copy of its cookie out on the next request, and the list
// shrinks. On SQLite and PostgreSQL.
func TestSessions_AccountList(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("ann@example.com", sb.RoleSupport)
		a, aCk := htSignIn(t, env, "ann@example.com")
		b := env.Client()
		b.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Firefox/140.0")
		b.Get("/sign-in")
		resp, _ := b.Post("/sign-in", url.Values{"email": {"ann@example.com"}, "password": {webtest.Password}})
		bCk := htCookie(env, resp)
		if bCk == nil {
			t.Fatal("second sign-in set no cookie")
		}
		_, body := a.Get("/account")
		ids, current := ssRows(t, body)
		if len(ids) != 2 || current == "" {
			t.Fatalf("account page lists sessions %v (current %q), want 2 with one marked current", ids, current)
		}
		if !strings.Contains(body, "Firefox on Linux") {
			t.Errorf("account page does not name the other browser (Firefox on Linux)")
		}
		other := ids[0]
		if other == current {
			other = ids[1]
		}
		before := usAudit(t, env, "session.end")
		resp, _ = a.Post("/account/sessions/"+other+"/end", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
			t.Fatalf("end session = %d %q, want 303 /account", resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := usAudit(t, env, "session.end") - before; got != 1 {
			t.Errorf("session.end audit rows = %d, want 1", got)
		}
		ssSignedOut(t, env, bCk, "copy of the ended session's cookie")
		if resp, _ := b.Get("/integrations"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("ended browser GET /integrations = %d, want 303", resp.StatusCode)
		}
		ssSignedIn(t, env, aCk, "the session that ended the other")
		_, body = a.Get("/account")
		if ids, cur := ssRows(t, body); len(ids) != 1 || ids[0] != current || cur != current {
			t.Errorf("after ending the other session the list is %v (current %q), want only %s", ids, cur, current)
		}
		// Ending it again, or an unknown id, is not found, never a 500.
		for _, id := range []string{other, "not-a-uuid", "00000000-0000-0000-0000-000000000000"} {
			if resp, _ := a.Post("/account/sessions/"+id+"/end", nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("end session %s = %d, want 404", id, resp.StatusCode)
			}
		}
		// Ending this session signs this browser out.
		resp, _ = a.Post("/account/sessions/"+current+"/end", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
			t.Errorf("end current session = %d %q, want 303 /sign-in", resp.StatusCode, resp.Header.Get("Location"))
		}
		ssSignedOut(t, env, aCk, "copy of the current session's cookie after ending it")
	})
}

// TestSessions_OtherUsers: a user cannot end someone else's session from
// the account route (404), support staff have no users routes (404), and
// an admin ends one or every session of a user from the user's page.
func TestSessions_OtherUsers(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		bob := env.CreateUser("bob@example.com", sb.RoleSupport)
		env.CreateUser("eve@example.com", sb.RoleSupport)
		admin, _ := htSignIn(t, env, "admin@example.com")
		_, bob1 := htSignIn(t, env, "bob@example.com")
		_, bob2 := htSignIn(t, env, "bob@example.com")
		eve, _ := htSignIn(t, env, "eve@example.com")

		_, body := admin.Get("/users/" + bob.ID)
		ids, current := ssRows(t, body)
		if len(ids) != 2 || current != "" {
			t.Fatalf("user page lists %v (current %q), want bob's 2 sessions, none the admin's", ids, current)
		}
		if resp, _ := eve.Post("/account/sessions/"+ids[0]+"/end", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another user's session ended through /account = %d, want 404", resp.StatusCode)
		}
		if resp, _ := eve.Post("/users/"+bob.ID+"/sessions/end", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("support user ending a user's sessions = %d, want 404", resp.StatusCode)
		}
		ssSignedIn(t, env, bob1, "bob after refused attempts")
		ssSignedIn(t, env, bob2, "bob after refused attempts")

		resp, _ := admin.Post("/users/"+bob.ID+"/sessions/"+ids[0]+"/end", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin ends one session = %d, want 303", resp.StatusCode)
		}
		_, body = admin.Get("/users/" + bob.ID)
		if left, _ := ssRows(t, body); len(left) != 1 || left[0] != ids[1] {
			t.Errorf("after ending %s the list is %v, want [%s]", ids[0], left, ids[1])
		}
		before := usAudit(t, env, "session.end_all")
		resp, _ = admin.Post("/users/"+bob.ID+"/sessions/end", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin ends every session = %d, want 303", resp.StatusCode)
		}
		if got := usAudit(t, env, "session.end_all") - before; got != 1 {
			t.Errorf("session.end_all audit rows = %d, want 1", got)
		}
		ssSignedOut(t, env, bob1, "bob's first browser")
		ssSignedOut(t, env, bob2, "bob's second browser")
		_, body = admin.Get("/users/" + bob.ID)
		if left, _ := ssRows(t, body); len(left) != 0 {
			t.Errorf("after ending every session the list is %v, want empty", left)
		}
	})
}

// TestSessions_SignOutEndsCopies: a plain Sign out ends the session for a
// copy of its cookie too; sign out everywhere empties the list; a password
// change keeps this session (listed once) and ends the others.
func TestSessions_SignOutEndsCopies(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("ann@example.com", sb.RoleSupport)
		c, ck := htSignIn(t, env, "ann@example.com")
		if resp, _ := c.Post("/sign-out", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-out = %d", resp.StatusCode)
		}
		ssSignedOut(t, env, ck, "copy of the cookie after Sign out")

		c, _ = htSignIn(t, env, "ann@example.com")
		_, other := htSignIn(t, env, "ann@example.com")
		resp, _ := c.Post("/account/password", url.Values{"current": {webtest.Password}, "password": {"another long password"}, "confirm": {"another long password"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("password change = %d", resp.StatusCode)
		}
		ssSignedOut(t, env, other, "the other session after a password change")
		_, body := c.Get("/account")
		if ids, cur := ssRows(t, body); len(ids) != 1 || cur != ids[0] {
			t.Errorf("after a password change the list is %v (current %q), want only this session", ids, cur)
		}
		c.Post("/sign-out-everywhere", nil)
		var n int
		x := env.Store.SQLX()
		if err := x.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM user_sessions WHERE ended_at IS NULL`); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d session rows still live after sign out (everywhere), want 0", n)
		}
	})
}

// TestSessions_LastSeen: a request writes the session's last-seen time at
// most once a minute.
func TestSessions_LastSeen(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("ann@example.com", sb.RoleSupport)
		_, ck := htSignIn(t, env, "ann@example.com")
		seen := func() time.Time {
			t.Helper()
			var at time.Time
			x := env.Store.SQLX()
			if err := x.GetContext(context.Background(), &at, `SELECT last_seen_at FROM user_sessions`); err != nil {
				t.Fatal(err)
			}
			return at
		}
		first := seen()
		defer func() { env.App.Access.Now, env.Store.Now = time.Now, time.Now }()
		for _, tc := range []struct {
			after   time.Duration
			written bool
		}{{30 * time.Second, false}, {59 * time.Second, false}, {61 * time.Second, true}} {
			later := func() time.Time { return time.Now().Add(tc.after) }
			env.App.Access.Now, env.Store.Now = later, later
			resp, _ := htRaw(t, env, http.MethodGet, "/integrations", ck, nil, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET after %v = %d", tc.after, resp.StatusCode)
			}
			if got := !seen().Equal(first); got != tc.written {
				t.Errorf("a request %v after sign-in wrote last seen = %v, want %v", tc.after, got, tc.written)
			}
		}
	})
}
