package web_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// TestBrowser_Infisical drives the Infisical app connection flow in a real
// Chromium against the test PostgreSQL: sign in, the provider chooser, the
// generic form (htmx reloads the fields when PostgreSQL is chosen), "Test
// connection" in place (green, then PostgreSQL's refusal for a role that
// does not exist, never the password), save, the masked reveal with its
// Show toggle and the 410 on reload, the detail page's "Test connection",
// and an edit that changes only the description with the password left
// empty, which keeps the stored credentials (version 1). Last, the app and
// method reloads must not put a typed secret into a URL. It runs on SQLite
// and on PostgreSQL; without Chromium it skips, or fails when
// SWITCHBOARD_REQUIRE_BROWSER is set.
func TestBrowser_Infisical(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			testInfisicalFlow(t, browser, d)
		})
	}
}

// ifbSignIn signs a fresh tab in through the sign-in page.
func ifbSignIn(t *testing.T, p *tab, email string) {
	t.Helper()
	p.open("sign-in page", "/sign-in", 200)
	p.do("fill sign-in form",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), webtest.Password),
	)
	p.follow("sign in", 200, chromedp.Click(testID("sign-in")))
	p.wantPath("after sign-in", "/integrations")
}

// ifbClear empties a text field through its value property (chromedp's
// Clear resets only the value attribute, which a field that was typed
// into no longer shows).
func ifbClear(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel))
}

// ifbFill replaces the value of a credential field by typing.
func ifbFill(p *tab, field, value string) {
	p.t.Helper()
	p.do("fill "+field, ifbClear(testIDSel("field-"+field)), chromedp.SendKeys(testID("field-"+field), value))
	if got := p.value(testIDSel("field-" + field)); got != value {
		p.fail("fill "+field, fmt.Errorf("the field holds %q after typing %q", redact(got), redact(value)))
	}
}

// ifbChoose picks the option with value in a select as a mouse pick does:
// the value changes and the select fires change (which htmx listens to;
// the caller waits for what the reload brings). Typing ahead would not do:
// every letter that selects another option fires change, and htmx reloads
// the form on each.
func ifbChoose(p *tab, id, value string) {
	p.t.Helper()
	p.do("choose "+value+" in "+id, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); })()`,
		testIDSel(id), value)))
}

// ifbRequestURLs lists every address the page has fetched (the page and
// each XHR), from the Resource Timing buffer.
func ifbRequestURLs(p *tab) []string {
	p.t.Helper()
	return run(p, "read the request addresses", chromedp.Evaluate[[]string](
		`[location.href].concat(performance.getEntriesByType('resource').map(e => e.name))`))
}

func testInfisicalFlow(t *testing.T, browser context.Context, d db.Dialect) {
	const (
		email       = "infisical-admin@example.com"
		name        = "orders-db"
		description = "Orders database"
		password    = "pg-browser-canary-Vw3k8Q"
		awsSecret   = "aws-secret-canary-J7mR2pXq"
		badRole     = "sb_no_such_role_b"
	)
	tg := ifuNeedPostgres(t)
	env := webtest.New(t, d)
	base := env.Listen()
	env.CreateTeam("payments")
	env.CreateUser(email, sb.RoleAdmin)
	p := newTab(t, browser, base, "infisical-"+string(d))

	// Last check, deferred so that it also runs after a failed step: no
	// typed secret reaches the server log or the database in clear.
	defer func() {
		logs := env.Logs.String()
		if !strings.Contains(logs, "msg=request") {
			t.Errorf("the server log has no request lines; the secret scan would prove nothing")
		}
		for _, s := range []string{password, awsSecret} {
			if strings.Contains(logs, s) {
				t.Errorf("the server log carries a typed secret (%s)", redact(s))
			}
			if strings.Contains(dumpDB(t, env.Store), s) {
				t.Errorf("the database carries a typed secret in clear (%s)", redact(s))
			}
		}
	}()

	// 1. Sign in, then the form from the provider chooser.
	ifbSignIn(t, p, email)
	p.open("provider chooser", "/integrations/new", 200)
	p.follow("choose the Infisical card", 200, chromedp.Click(testID("provider-infisical")))
	p.wantPath("Infisical form", "/integrations/new/infisical")
	teamID := p.value(testIDSel("team-select"))
	if teamID == "" {
		t.Errorf("the only team is not preselected")
	}

	// 2. Choose PostgreSQL: htmx swaps in its fields, without a page load.
	p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
	p.do("fill the name", chromedp.SendKeys(testID("name-input"), name))
	ifbChoose(p, "app-select", "postgres")
	if err := p.try(5*time.Second, chromedp.WaitVisible(testID("field-host"))); err != nil {
		p.fail("the PostgreSQL fields after choosing the app", err)
	}
	p.wantInPlace("after choosing PostgreSQL")
	if got := p.value(testIDSel("app-select")); got != "postgres" {
		t.Errorf("app select = %q after the reload, want postgres", got)
	}
	if got := p.value(testIDSel("name-input")); got != name {
		t.Errorf("name = %q after the reload, want %q kept", got, name)
	}
	if got := p.value(testIDSel("team-select")); got != teamID {
		t.Errorf("team = %q after the reload, want %q kept", got, teamID)
	}
	if got := p.value(testIDSel("field-port")); got != "5432" {
		t.Errorf("port = %q, want the default 5432", got)
	}
	if typ := p.attr(testIDSel("field-password"), "type"); typ != "password" {
		t.Errorf("password input type = %q, want password", typ)
	}
	// Not fatal: report and go on.
	if !p.checked("field-sslRejectUnauthorized") {
		t.Errorf("\"Reject unauthorized certificates\" is unticked after choosing PostgreSQL, want its default (ticked)")
	}
	p.do("fill the description", chromedp.SendKeys(chromedp.CSS("#description"), description))
	ifbFill(p, "host", tg.host)
	ifbFill(p, "port", tg.port)
	ifbFill(p, "database", tg.database)
	ifbFill(p, "username", tg.username)
	ifbFill(p, "password", password)

	// 3. Test connection: the green result in place, the password still typed.
	p.do("press Test connection",
		chromedp.Click(testID("test-connection")),
		chromedp.WaitVisible(chromedp.CSS("#test-result "+testIDSel("test-ok"))),
	)
	p.wantInPlace("after the test")
	ok := p.text("#test-result " + testIDSel("test-ok"))
	if !strings.Contains(ok, "PostgreSQL") || !strings.Contains(ok, "SELECT 1 succeeded") {
		t.Errorf("the green result says %q, want it to name PostgreSQL and SELECT 1", ok)
	}
	if got := p.value(testIDSel("field-password")); got != password {
		t.Errorf("after the test the password field holds %q, want the typed password kept", redact(got))
	}
	if got := p.value(testIDSel("field-host")); got != tg.host {
		t.Errorf("after the test host = %q, want %q kept", got, tg.host)
	}
	p.screenshot("/tmp/switchboard-infisical-form.png")

	// 4. A role that does not exist: PostgreSQL's refusal, not the password.
	ifbFill(p, "username", badRole)
	p.do("press Test connection again",
		chromedp.Click(testID("test-connection")),
		chromedp.WaitVisible(chromedp.CSS("#test-result "+testIDSel("test-failed"))),
	)
	p.wantInPlace("after the failed test")
	failed := p.text("#test-result " + testIDSel("test-failed"))
	if !strings.Contains(failed, `role "`+badRole+`" does not exist`) {
		t.Errorf("the red result says %q, want PostgreSQL's refusal for role %s", failed, badRole)
	}
	if strings.Contains(failed, password) || strings.Contains(p.html(), password) {
		t.Errorf("the page carries the password after a failed test")
	}
	if n := p.count("#test-result " + testIDSel("test-ok")); n != 0 {
		t.Errorf("the green result is still shown beside the red one")
	}
	p.screenshot("/tmp/switchboard-infisical-form-failed.png")

	// 5. Fix it and save: the reveal, masked; Show shows the password.
	ifbFill(p, "username", tg.username)
	p.follow("save the connection", 200, chromedp.Click(testID("save")))
	revealPath := p.path()
	if !strings.HasPrefix(revealPath, "/reveal/") {
		t.Fatalf("after saving: at %s, want /reveal/{id}", p.location())
	}
	p.wantText("reveal heading", "h1", name)
	p.wantText("reveal warning", testIDSel("reveal-warning"), "only time")
	mask := p.attr(testIDSel("reveal-password"), "data-masked")
	if got := p.text(testIDSel("reveal-password")); got != mask || strings.Contains(got, password) {
		t.Errorf("the password box shows %q, want the mask %q", redact(got), mask)
	}
	toggle := `[data-toggle-secret="#reveal-password"]`
	p.wantText("toggle label", toggle, "Show")
	p.do("press Show", chromedp.Click(chromedp.CSS(toggle)))
	if got := p.text(testIDSel("reveal-password")); got != password {
		t.Errorf("after Show the box shows %q, want the password", redact(got))
	}
	p.wantText("toggle label after Show", toggle, "Hide")
	p.screenshot("/tmp/switchboard-infisical-reveal.png")
	id := strings.TrimPrefix(p.attr(testIDSel("reveal-done"), "href"), "/integrations/")
	if id == "" {
		t.Fatalf("the reveal's done link names no integration")
	}

	// 6. Once only.
	if resp := p.follow("reload the reveal", 0, chromedp.Reload()); resp.Status != 410 {
		t.Errorf("reload of the reveal: status %d, want 410", resp.Status)
	}
	p.wantText("410 message", testIDSel("message-text"), "already shown")
	if strings.Contains(p.html(), password) {
		t.Errorf("the 410 page carries the password")
	}

	// 7. The detail page: Test connection swaps the green result in place.
	p.open("detail page", "/integrations/"+id, 200)
	p.wantText("detail heading", testIDSel("integration-name"), name)
	details := p.text(testIDSel("integration-details"))
	for _, want := range []string{"PostgreSQL", tg.host, tg.database, tg.username, "Version 1", "stored encrypted"} {
		if !strings.Contains(details, want) {
			t.Errorf("the detail page does not show %q; details: %q", want, details)
		}
	}
	p.do("mark the detail page", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
	p.do("press Test connection on the detail page",
		chromedp.Click(testID("test-connection")),
		chromedp.WaitVisible(chromedp.CSS("#test-result "+testIDSel("test-ok"))),
	)
	p.wantInPlace("after the detail page's test")
	if got := p.text("#test-result " + testIDSel("test-ok")); !strings.Contains(got, "PostgreSQL") {
		t.Errorf("the detail page's result says %q, want it to name PostgreSQL", got)
	}
	if strings.Contains(p.html(), password) {
		t.Errorf("the detail page carries the password")
	}
	p.screenshot("/tmp/switchboard-infisical-detail.png")
	before, _ := ifuStored(t, env, id)

	// 8. Edit only the description, the password left empty.
	p.follow("open the edit page", 200, chromedp.Click(testID("edit")))
	p.wantPath("edit page", "/integrations/"+id+"/edit")
	p.wantText("kept-password hint", testIDSel("kept-password"), "A value is stored")
	if got := p.value(testIDSel("field-password")); got != "" {
		t.Errorf("the edit page's password field holds %q, want it empty", redact(got))
	}
	if got := p.value(testIDSel("field-host")); got != tg.host {
		t.Errorf("the edit page's host = %q, want %q", got, tg.host)
	}
	p.do("change the description", ifbClear("#description"), chromedp.SendKeys(chromedp.CSS("#description"), description+" (EU)"))
	p.screenshot("/tmp/switchboard-infisical-edit.png")
	p.follow("save the edit", 200, chromedp.Click(testID("save")))
	p.wantPath("after the edit", "/integrations/"+id)
	p.wantText("saved flash", testIDSel("flash"), "The stored credentials did not change")
	details = p.text(testIDSel("integration-details"))
	for _, want := range []string{"Version 1", description + " (EU)"} {
		if !strings.Contains(details, want) {
			t.Errorf("after the edit the detail page does not show %q; details: %q", want, details)
		}
	}
	after, creds := ifuStored(t, env, id)
	if after.Version != 1 || !bytes.Equal(after.SecretCiphertext, before.SecretCiphertext) || creds["password"] != password {
		t.Errorf("after a description edit: version %d, ciphertext same %v, password kept %v; want 1, true, true",
			after.Version, bytes.Equal(after.SecretCiphertext, before.SecretCiphertext), creds["password"] == password)
	}
	p.wantNoConsoleErrors()

	// 9. A typed secret stays out of URLs (ASVS 14.2.1): the method reload
	// (htmx GET with hx-include="closest form") and, without JavaScript,
	// the <noscript> button (a GET submit of the whole form).
	p.open("AWS access-key form", "/integrations/new/infisical?app=aws&method=access-key", 200)
	p.do("type an AWS secret", chromedp.SendKeys(testID("field-secretAccessKey"), awsSecret))
	ifbChoose(p, "method-select", "assume-role")
	p.do("the Role ARN field", chromedp.WaitVisible(testID("field-roleArn")))
	csrfToken := p.attr(`meta[name="csrf-token"]`, "content")
	for _, u := range ifbRequestURLs(p) {
		if strings.Contains(u, awsSecret) {
			t.Errorf("changing the method sent the typed secret access key in a URL (%s…): the app and method selects' "+
				"hx-include=\"closest form\" puts every field, secrets too, in the GET query (views/infisical.templ)", u[:min(len(u), 60)])
		}
		if csrfToken != "" && strings.Contains(u, csrfToken) {
			t.Errorf("changing the method sent the session's CSRF token in a URL (%s…): hx-include=\"closest form\" takes the hidden _csrf field too", u[:min(len(u), 60)])
		}
	}
	q := newTab(t, browser, base, "infisical-nojs-"+string(d))
	q.do("disable JavaScript", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	ifbSignIn(t, q, email)
	q.open("AWS access-key form (no JavaScript)", "/integrations/new/infisical?app=aws&method=access-key", 200)
	q.do("type an AWS secret (no JavaScript)", chromedp.SendKeys(testID("field-secretAccessKey"), awsSecret))
	ifbChoose(q, "method-select", "assume-role")
	showFields := chromedp.CSS(testIDSel("infisical-form") + ` noscript button[type="submit"]`)
	q.follow("show this app's fields", 200, chromedp.Click(showFields))
	q.do("the Role ARN field (no JavaScript)", chromedp.WaitVisible(testID("field-roleArn")))
	if loc := q.location(); strings.Contains(loc, awsSecret) {
		t.Errorf("without JavaScript, \"Show this app's fields\" put the typed secret access key in the address bar and history (%s…): "+
			"the <noscript> button submits the whole form with GET", loc[:min(len(loc), 60)])
	}
	q.wantNoConsoleErrors()
}

// TestBrowser_InfisicalWrongPassword presses "Test connection" in Chromium
// against a PostgreSQL that checks passwords (the throwaway scram-sha-256
// cluster .ci/run starts; the shared test server trusts 127.0.0.1, so a
// wrong password would connect there): a wrong password shows PostgreSQL's
// "password authentication failed" in red, without the password; the right
// one turns it green. Without that cluster it skips, or fails when
// SWITCHBOARD_REQUIRE_POSTGRES is set.
func TestBrowser_InfisicalWrongPassword(t *testing.T) {
	u := dbtest.PasswordURL(t)
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			const (
				email = "infisical-admin@example.com"
				wrong = "pg-browser-wrong-canary-2Hs9"
			)
			good, _ := u.User.Password()
			env := webtest.New(t, d)
			base := env.Listen()
			env.CreateTeam("payments")
			env.CreateUser(email, sb.RoleAdmin)
			p := newTab(t, browser, base, "infisical-password-"+string(d))
			defer func() {
				for _, s := range []string{good, wrong} {
					if strings.Contains(env.Logs.String(), s) {
						t.Errorf("the server log carries a typed password (%s)", redact(s))
					}
				}
			}()

			ifbSignIn(t, p, email)
			p.open("PostgreSQL form", "/integrations/new/infisical?app=postgres&method=username-and-password", 200)
			p.do("fill the name", chromedp.SendKeys(testID("name-input"), "password-db"))
			ifbFill(p, "host", u.Hostname())
			ifbFill(p, "port", u.Port())
			ifbFill(p, "database", strings.TrimPrefix(u.Path, "/"))
			ifbFill(p, "username", u.User.Username())
			ifbFill(p, "password", wrong)
			p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
			p.do("test a wrong password",
				chromedp.Click(testID("test-connection")),
				chromedp.WaitVisible(chromedp.CSS("#test-result "+testIDSel("test-failed"))),
			)
			p.wantInPlace("after the failed test")
			want := `password authentication failed for user "` + u.User.Username() + `"`
			if got := p.text("#test-result " + testIDSel("test-failed")); !strings.Contains(got, want) {
				t.Errorf("the red result says %q, want PostgreSQL's %q", got, want)
			}
			if html := p.html(); strings.Contains(html, wrong) || strings.Contains(html, good) {
				t.Errorf("the page carries a password after the failed test")
			}
			p.screenshot("/tmp/switchboard-infisical-wrong-password.png")
			ifbFill(p, "password", good)
			p.do("test the right password",
				chromedp.Click(testID("test-connection")),
				chromedp.WaitVisible(chromedp.CSS("#test-result "+testIDSel("test-ok"))),
			)
			if n := p.count("#test-result " + testIDSel("test-failed")); n != 0 {
				t.Errorf("the red result is still shown beside the green one")
			}
			p.wantNoConsoleErrors()
		})
	}
}
