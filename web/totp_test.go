package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/pquerna/otp/totp"
	sb "switchboard"
	"switchboard/web/webtest"
)

// tfTexts returns the text of every element with data-testid id.
func tfTexts(t *testing.T, body, id string) []string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	doc.Find(`[data-testid="` + id + `"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// tfCode is the TOTP code of secret at now+offset.
func tfCode(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// tfEnrol enrols the signed-in client's user from the account page and
// returns the secret and the recovery codes.
func tfEnrol(t *testing.T, c *webtest.Client) (string, []string) {
	t.Helper()
	resp, body := c.Get("/account/two-factor")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /account/two-factor = %d", resp.StatusCode)
	}
	secret := tfTexts(t, body, "totp-secret")
	if len(secret) != 1 || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("enrolment page: secret %v, QR image present %v", secret, strings.Contains(body, "data:image/png"))
	}
	if resp, body := c.Post("/account/two-factor", url.Values{"code": {"000000"}}); resp.StatusCode != http.StatusUnprocessableEntity || len(tfTexts(t, body, "recovery-code")) != 0 {
		t.Errorf("enrolment with a wrong code = %d, want 422 without recovery codes", resp.StatusCode)
	}
	resp, body = c.Post("/account/two-factor", url.Values{"code": {tfCode(t, secret[0], 0)}})
	codes := tfTexts(t, body, "recovery-code")
	if resp.StatusCode != http.StatusOK || len(codes) != 10 {
		t.Fatalf("enrolment confirm = %d with %d recovery codes, want 200 and 10", resp.StatusCode, len(codes))
	}
	return secret[0], codes
}

// tfPassword signs a new client in with the password only and wants the
// answer to send it to the two-factor step at to.
func tfPassword(t *testing.T, env *webtest.Env, email, to string) *webtest.Client {
	t.Helper()
	c := env.Client()
	c.Get("/sign-in")
	resp, _ := c.Post("/sign-in", url.Values{"email": {email}, "password": {webtest.Password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != to {
		t.Fatalf("password sign-in = %d %q, want 303 %s", resp.StatusCode, resp.Header.Get("Location"), to)
	}
	if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /integrations after the password only = %d, want 303 (not signed in yet)", resp.StatusCode)
	}
	return c
}

// TestTwoFactor_SignIn enrols TOTP, then signs in with password + code:
// a wrong code, a replayed code and a spent recovery code are refused; the
// next step's code and a recovery code (once) are accepted; failures are
// throttled. The recovery codes are stored only hashed. SQLite and PostgreSQL.
func TestTwoFactor_SignIn(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("ann@example.com", sb.RoleSupport)
		ann, _ := htSignIn(t, env, "ann@example.com")
		secret, codes := tfEnrol(t, ann)
		if _, body := ann.Get("/account"); len(tfTexts(t, body, "two-factor-on")) != 1 {
			t.Errorf("account page does not show two-factor sign-in as on")
		}
		dump, logs := dumpDB(t, env.Store), env.Logs.String()
		if !strings.Contains(dump, "user.two_factor_enable") {
			t.Fatalf("the dump has no enrolment audit row: the scan would prove nothing")
		}
		for _, s := range []string{codes[0], strings.ReplaceAll(codes[0], "-", ""), secret} {
			if strings.Contains(dump, s) || strings.Contains(logs, s) {
				t.Errorf("the database or the log carries a recovery code or the TOTP secret in the clear (%s…)", s[:4])
			}
		}
		ann.Post("/sign-out", nil)

		c := tfPassword(t, env, "ann@example.com", "/sign-in/two-factor")
		if resp, _ := c.Post("/sign-in/two-factor", url.Values{"code": {"123456"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a wrong code = %d, want 401", resp.StatusCode)
		}
		next := tfCode(t, secret, 30*time.Second)
		resp, _ := c.Post("/sign-in/two-factor", url.Values{"code": {next}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations" {
			t.Fatalf("the right code = %d %q, want 303 /integrations", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /integrations after the second factor = %d, want 200", resp.StatusCode)
		}

		replay := tfPassword(t, env, "ann@example.com", "/sign-in/two-factor")
		for _, code := range []string{next, tfCode(t, secret, 0)} {
			if resp, _ := replay.Post("/sign-in/two-factor", url.Values{"code": {code}}); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("a used (or older) code %s again = %d, want 401", code, resp.StatusCode)
			}
		}
		rc := tfPassword(t, env, "ann@example.com", "/sign-in/two-factor")
		if resp, _ := rc.Post("/sign-in/two-factor", url.Values{"code": {strings.ToUpper(codes[3])}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a recovery code = %d, want 303", resp.StatusCode)
		}
		again := tfPassword(t, env, "ann@example.com", "/sign-in/two-factor")
		if resp, _ := again.Post("/sign-in/two-factor", url.Values{"code": {codes[3]}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a spent recovery code = %d, want 401", resp.StatusCode)
		}
		// Five failures in the window (three above) and the right code is
		// refused too.
		again.Post("/sign-in/two-factor", url.Values{"code": {"999999"}})
		again.Post("/sign-in/two-factor", url.Values{"code": {"999998"}})
		if resp, _ := again.Post("/sign-in/two-factor", url.Values{"code": {codes[4]}}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a right recovery code after 5 failures = %d, want 429", resp.StatusCode)
		}
	})
}

// TestTwoFactor_AdminPolicy: with the policy on, an admin without a second
// factor is sent to enrol at sign-in and is signed in only after it; a
// support user is not asked; only admins may change the policy.
func TestTwoFactor_AdminPolicy(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("second@example.com", sb.RoleAdmin)
		env.CreateUser("sue@example.com", sb.RoleSupport)
		sue, _ := htSignIn(t, env, "sue@example.com")
		if resp, _ := sue.Post("/users/two-factor-policy", url.Values{"required": {"true"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("support user sets the policy = %d, want 404", resp.StatusCode)
		}
		admin, _ := htSignIn(t, env, "admin@example.com")
		if resp, _ := admin.Post("/users/two-factor-policy", url.Values{"required": {"true"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin sets the policy = %d, want 303", resp.StatusCode)
		}
		if on, err := env.App.Access.RequireAdminTwoFactor(context.Background()); err != nil || !on {
			t.Fatalf("policy after setting = %v, %v", on, err)
		}
		htSignIn(t, env, "sue@example.com") // support staff are not asked

		c := tfPassword(t, env, "second@example.com", "/sign-in/two-factor/enrol")
		if resp, _ := c.Get("/sign-in/two-factor"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in/two-factor/enrol" {
			t.Errorf("the code step before enrolment = %d %q, want 303 to enrol", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body := c.Get("/sign-in/two-factor/enrol")
		secret := tfTexts(t, body, "totp-secret")
		if len(secret) != 1 || len(tfTexts(t, body, "two-factor-required")) != 1 {
			t.Fatalf("forced enrolment page: secret %v, notice %v", secret, tfTexts(t, body, "two-factor-required"))
		}
		resp, body := c.Post("/sign-in/two-factor/enrol", url.Values{"code": {tfCode(t, secret[0], 0)}})
		if resp.StatusCode != http.StatusOK || len(tfTexts(t, body, "recovery-code")) != 10 {
			t.Fatalf("forced enrolment = %d with %d codes, want 200 and 10", resp.StatusCode, len(tfTexts(t, body, "recovery-code")))
		}
		if resp, _ := c.Get("/integrations"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /integrations after forced enrolment = %d, want 200", resp.StatusCode)
		}
		tfPassword(t, env, "second@example.com", "/sign-in/two-factor")
	})
}
