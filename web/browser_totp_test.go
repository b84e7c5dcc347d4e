package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// TestBrowser_TwoFactor drives two-factor sign-in in a real Chromium: an
// admin enrols on the account page (the QR code renders; the key and the
// first code), signs out, signs in with password + code, then with a
// recovery code, and a second use of that recovery code is refused. Then the
// admin turns on the policy that every admin needs a second factor, and
// another admin's next sign-in goes through a forced enrolment before
// reaching the app. On SQLite and PostgreSQL.
func TestBrowser_TwoFactor(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) { testTwoFactorBrowser(t, browser, d) })
	}
}

func tbPassword(p *tab, email string) {
	p.t.Helper()
	p.open("sign-in page", "/sign-in", 200)
	p.do("fill sign-in form", chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), webtest.Password))
	p.follow("sign in with the password", 200, chromedp.Click(testID("sign-in")))
}

func tbSignOut(p *tab) {
	p.t.Helper()
	p.follow("sign out", 200, chromedp.Click(testID("sign-out")))
	p.wantPath("signed out", "/sign-in")
}

func testTwoFactorBrowser(t *testing.T, browser context.Context, d db.Dialect) {
	env := webtest.New(t, d)
	base := env.Listen()
	env.CreateUser("admin@example.com", sb.RoleAdmin)
	env.CreateUser("second@example.com", sb.RoleAdmin)
	p := newTab(t, browser, base, "totp-"+string(d))

	ifbSignIn(t, p, "admin@example.com")
	p.open("account page", "/account", 200)
	p.follow("set up two-factor", 200, chromedp.Click(testID("two-factor-setup")))
	p.waitFor("the QR code is drawn", `(() => { const i = document.querySelector('[data-testid="totp-qr"]'); return !!i && i.complete && i.naturalWidth > 100; })()`)
	secret := p.text(testIDSel("totp-secret"))
	p.do("type the first code", chromedp.SendKeys(testID("totp-enrol-code"), tfCode(t, secret, 0)))
	p.follow("turn it on", 200, chromedp.Click(testID("totp-enrol-submit")))
	codes := strings.Split(p.texts(testIDSel("recovery-code")), " | ")
	if len(codes) != 10 {
		t.Fatalf("recovery codes shown = %d (%v), want 10", len(codes), codes)
	}
	p.follow("continue", 200, chromedp.Click(testID("recovery-continue")))
	p.wantText("account says on", testIDSel("two-factor-on"), "10 recovery codes left")
	tbSignOut(p)

	tbPassword(p, "admin@example.com")
	p.wantPath("asked for the code", "/sign-in/two-factor")
	p.do("type the next code", chromedp.SendKeys(testID("two-factor-code"), tfCode(t, secret, 30*time.Second)))
	p.follow("sign in with the code", 200, chromedp.Click(testID("two-factor-submit")))
	p.wantPath("signed in with password + code", "/integrations")
	tbSignOut(p)

	tbPassword(p, "admin@example.com")
	p.do("type a recovery code", chromedp.SendKeys(testID("two-factor-code"), codes[0]))
	p.follow("sign in with the recovery code", 200, chromedp.Click(testID("two-factor-submit")))
	p.wantPath("signed in with a recovery code", "/integrations")
	tbSignOut(p)

	tbPassword(p, "admin@example.com")
	p.do("type the spent recovery code", chromedp.SendKeys(testID("two-factor-code"), codes[0]))
	p.follow("the spent recovery code", 401, chromedp.Click(testID("two-factor-submit")))
	p.wantText("refused", testIDSel("form-error"), "already used")
	p.open("the app is still closed", "/integrations", 200)
	p.wantPath("sent to sign in", "/sign-in")

	// The policy: the second admin must enrol at the next sign-in.
	tbPassword(p, "admin@example.com")
	// The codes of this step and the next are used: a second recovery code.
	p.do("type another recovery code", chromedp.SendKeys(testID("two-factor-code"), codes[1]))
	p.follow("sign in", 200, chromedp.Click(testID("two-factor-submit")))
	p.open("users page", "/users", 200)
	p.do("require two-factor for admins", chromedp.Click(testID("two-factor-policy")))
	p.follow("save the policy", 200, chromedp.Click(testID("two-factor-policy-save")))
	if !p.checked("two-factor-policy") {
		t.Fatalf("the policy checkbox is not checked after saving")
	}
	tbSignOut(p)
	tbPassword(p, "second@example.com")
	p.wantPath("sent to enrol", "/sign-in/two-factor/enrol")
	p.wantText("the policy says why", testIDSel("two-factor-required"), "requires a second factor")
	p.open("the app is closed until enrolment", "/integrations", 200)
	p.wantPath("sent to sign in", "/sign-in")
	tbPassword(p, "second@example.com")
	second := p.text(testIDSel("totp-secret"))
	p.do("type the first code", chromedp.SendKeys(testID("totp-enrol-code"), tfCode(t, second, 0)))
	p.follow("enrol", 200, chromedp.Click(testID("totp-enrol-submit")))
	if n := p.count(testIDSel("recovery-code")); n != 10 {
		t.Errorf("forced enrolment showed %d recovery codes, want 10", n)
	}
	p.follow("continue", 200, chromedp.Click(testID("recovery-continue")))
	p.wantPath("signed in after the forced enrolment", "/integrations")
	p.wantNoConsoleErrors()
}
