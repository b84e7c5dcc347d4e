package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"switchboard/web/webtest"
)

// navCurrent is the data-testid of the wide header's current nav link.
func navCurrent(t *testing.T, page string) string {
	t.Helper()
	id, _ := opDoc(t, page).Find(`[data-testid="nav"] [aria-current="page"]`).Attr("data-testid")
	return id
}

// TestReveal_KindNavAndGone: token and invitation reveals sit under their
// own nav item, and their 410 after a reload speaks of a token or a link
// and leads back to their page, not to integrations.
func TestReveal_KindNavAndGone(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		c := htSignInAdmin(t, env)
		cases := []struct {
			name, nav, back string
			words           []string
			create          func() *http.Response
		}{
			{"token", "nav-tokens", "/tokens", []string{"API token", "revoke it on API tokens"}, func() *http.Response {
				resp, _ := c.Post("/tokens", url.Values{"team_id": {team.ID}, "name": {"deploy"}, "expires": {"30d"}, "access": {"read-write"}})
				return resp
			}},
			{"invitation", "nav-users", "/users", []string{"set-password link", "New set-password link"}, func() *http.Response {
				resp, _ := c.Post("/users", url.Values{"email": {"new@example.com"}, "role": {"support"}, "teams": {team.ID}})
				return resp
			}},
			{"integration", "nav-integrations", "/integrations", []string{"revoke the integration"}, func() *http.Response {
				resp, _ := c.Post("/integrations/new/1password", url.Values{"team_id": {team.ID}, "name": {"Vault"}, "token": {newOPToken(t).Token}})
				return resp
			}},
		}
		for _, tc := range cases {
			resp := tc.create()
			reveal := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(reveal, "/reveal/") {
				t.Fatalf("%s: create = %d %s, want 303 to a reveal", tc.name, resp.StatusCode, reveal)
			}
			_, page := c.Get(reveal)
			if got := navCurrent(t, page); got != tc.nav {
				t.Errorf("%s reveal: the current nav item is %q, want %q", tc.name, got, tc.nav)
			}
			resp, page = c.Get(reveal)
			if resp.StatusCode != http.StatusGone {
				t.Fatalf("%s: second visit = %d, want 410", tc.name, resp.StatusCode)
			}
			if got := navCurrent(t, page); got != tc.nav {
				t.Errorf("%s 410: the current nav item is %q, want %q", tc.name, got, tc.nav)
			}
			main := opDoc(t, page).Find("main")
			text := main.Text()
			for _, w := range tc.words {
				if !strings.Contains(text, w) {
					t.Errorf("%s 410 does not say %q: %q", tc.name, w, strings.Join(strings.Fields(text), " "))
				}
			}
			if tc.name != "integration" && (strings.Contains(text, "integration") || strings.Contains(text, "Back to integrations")) {
				t.Errorf("%s 410 speaks of integrations: %q", tc.name, strings.Join(strings.Fields(text), " "))
			}
			if href, _ := main.Find(`a[href="` + tc.back + `"]`).Attr("href"); href != tc.back {
				t.Errorf("%s 410 has no link back to %s", tc.name, tc.back)
			}
		}
	})
}

// TestLayout_UniqueTestIDs: the header renders its links for the wide
// screen and the phone menu; no data-testid or id appears twice.
func TestLayout_UniqueTestIDs(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateTeam("payments")
		c := htSignInAdmin(t, env)
		for _, path := range []string{"/integrations", "/tokens", "/audit", "/users", "/account"} {
			_, page := c.Get(path)
			seen := map[string]int{}
			opDoc(t, page).Find("[data-testid], [id]").Each(func(_ int, s *goquery.Selection) {
				if v, ok := s.Attr("data-testid"); ok {
					seen["data-testid="+v]++
				}
				if v, ok := s.Attr("id"); ok {
					seen["id="+v]++
				}
			})
			if seen["data-testid=menu-nav-tokens"] != 1 || seen["data-testid=nav-tokens"] != 1 {
				t.Errorf("%s: want one nav-tokens and one menu-nav-tokens, got %d and %d", path, seen["data-testid=nav-tokens"], seen["data-testid=menu-nav-tokens"])
			}
			for k, n := range seen {
				if n > 1 && !strings.HasPrefix(k, "data-testid=audit-") && !strings.HasSuffix(k, "-row") {
					t.Errorf("%s: %s appears %d times", path, k, n)
				}
			}
		}
	})
}
