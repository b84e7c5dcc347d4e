package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// TestBrowser_LaunchDarkly drives the LaunchDarkly integration configuration
// form in a real Chromium: the provider chooser, the manifest cards (htmx
// swaps in the form and pushes ?integrationKey=), Datadog's secret, enum and
// boolean fields and its statement rows (added and removed in place, the
// typed secret kept), a 422 re-render that empties the secret, save, the
// masked reveal with its Show toggle, the detail page's LaunchDarkly-style
// mask and the 410 on a second visit; then ServiceNow's dependsOn (app.js
// hides and disables the fields the authentication method does not use) and
// its generated webhook signing secret, shown on the reveal and the detail
// page. Last, with JavaScript off: every dependent field shows with its
// "Used only when …" hint, a statement row is added by a full page POST
// (with the notice that secrets must be typed again), and ServiceNow basic
// saves. It runs on SQLite and on PostgreSQL; without Chromium it skips, or
// fails when SWITCHBOARD_REQUIRE_BROWSER is set.
func TestBrowser_LaunchDarkly(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			testLaunchDarklyFlow(t, browser, d)
		})
	}
}

// ldbMask is launchdarkly.MaskSecret, restated: the first and last three
// characters kept, stars between (all stars under 12 characters).
func ldbMask(s string) string {
	r := []rune(s)
	if len(r) < 12 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-3:])
}

// ldbDisplayed reports whether the element matching sel takes up room on
// the page (display is not none, for it and its ancestors).
func ldbDisplayed(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, sel)
}

// ldbDisabled is a JavaScript expression: the input matching sel is disabled.
func ldbDisabled(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.disabled; })()`, sel)
}

// ldbRows is a JavaScript expression: the form shows n statement rows.
func ldbRows(n int) string {
	return fmt.Sprintf(`document.querySelectorAll('[data-testid="statement-row"]').length === %d`, n)
}

// ldbDetail is the value the detail page shows for label ("" if none).
func ldbDetail(p *tab, label string) string {
	p.t.Helper()
	v := run(p, "read the detail "+label, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { for (const r of document.querySelectorAll('[data-testid="integration-details"] > div')) {
			const dt = r.querySelector('dt'); if (dt && dt.innerText.trim() === %q) return r.querySelector('dd').innerText; }
			return ''; })()`, label)))
	return strings.TrimSpace(spaces.ReplaceAllString(v, " "))
}

// ldbQuery reads key from the query of the tab's address.
func ldbQuery(p *tab, key string) string {
	p.t.Helper()
	u, err := url.Parse(p.location())
	if err != nil {
		p.fail("parse the address", err)
	}
	return u.Query().Get(key)
}

func testLaunchDarklyFlow(t *testing.T, browser context.Context, d db.Dialect) {
	const (
		email    = "ld-admin@example.com"
		ddName   = "Datadog production"
		ddSite   = "https://api.datadoghq.eu"
		snName   = "ServiceNow change approvals"
		snURL    = "https://acme.service-now.com"
		noJSName = "ServiceNow basic (no JavaScript)"
	)
	ddKey := "dd-canary-" + uuid.NewString()
	ddKeyNoJS := "dd-nojs-canary-" + uuid.NewString()
	snClientID := "sn-client-" + uuid.NewString()[:8]
	snSecret := "sn-secret-canary-" + uuid.NewString()
	snPassword := "sn-password-canary-" + uuid.NewString()

	env := webtest.New(t, d)
	base := env.Listen()
	// Two teams, so that the form preselects none and the user chooses.
	team := env.CreateTeam("payments")
	env.CreateTeam("growth")
	env.CreateUser(email, sb.RoleAdmin)
	p := newTab(t, browser, base, "launchdarkly-"+string(d))

	// Last check, deferred so that it also runs after a failed step: no
	// typed or generated secret reaches the server log, nor the database in
	// clear (the generated webhook secret is stored as a config value, to be
	// shown on the detail page, so it is checked in the log only).
	secrets := []string{ddKey, ddKeyNoJS, snSecret, snPassword}
	var generated []string
	defer func() {
		logs := env.Logs.String()
		if !strings.Contains(logs, "msg=request") {
			t.Errorf("the server log has no request lines; the secret scan would prove nothing")
		}
		dump := dumpDB(t, env.Store)
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("the server log carries a typed secret (%s)", redact(s))
			}
			if strings.Contains(dump, s) {
				t.Errorf("the database carries a typed secret in clear (%s)", redact(s))
			}
		}
		for _, s := range generated {
			if strings.Contains(logs, s) {
				t.Errorf("the server log carries a generated webhook signing secret (%s)", redact(s))
			}
		}
	}()

	// 1. Sign in; the provider chooser, then the LaunchDarkly chooser.
	ifbSignIn(t, p, email)
	p.open("provider chooser", "/integrations/new", 200)
	p.follow("choose the LaunchDarkly card", 200, chromedp.Click(testID("provider-launchdarkly")))
	p.wantPath("LaunchDarkly chooser", "/integrations/new/launchdarkly")
	p.wantText("chooser prompt", testIDSel("ld-choose"), "Choose an integration above")

	// 2. The Datadog card: htmx swaps in the form and pushes the address.
	p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
	p.do("choose the Datadog card", chromedp.Click(testID("ld-card-datadog")))
	p.waitFor("the Datadog form", `(document.querySelector('[data-testid="ld-manifest-name"]') || {}).textContent === 'Datadog Events'`)
	p.wantInPlace("after choosing Datadog")
	p.waitFor("the address has ?integrationKey=datadog", `new URLSearchParams(location.search).get('integrationKey') === 'datadog'`)
	p.wantPath("Datadog form address", "/integrations/new/launchdarkly")
	if n := p.count(testIDSel("ld-choose")); n != 0 {
		t.Errorf("the chooser prompt is still shown beside the Datadog form")
	}
	if typ := p.attr(testIDSel("field-apiKey"), "type"); typ != "password" {
		t.Errorf("API key input type = %q, want password", typ)
	}
	if got := p.value(testIDSel("team-select")); got != "" {
		t.Errorf("team select = %q with two teams, want none preselected", got)
	}
	if got := p.value(testIDSel("field-hostURL")); got != "https://api.datadoghq.com" {
		t.Errorf("Datadog site = %q, want its default https://api.datadoghq.com", got)
	}
	if p.checked("field-hideMemberDetails") {
		t.Errorf("\"Hide member details\" is ticked on a fresh form, want its default (unticked)")
	}
	ifbChoose(p, "team-select", team.ID)
	p.do("fill the name and the API key",
		chromedp.SendKeys(testID("name-input"), ddName),
		chromedp.SendKeys(testID("field-apiKey"), ddKey),
	)
	ifbChoose(p, "field-hostURL", ddSite)
	p.do("tick Hide member details", chromedp.Click(testID("field-hideMemberDetails")))
	if !p.checked("field-hideMemberDetails") {
		t.Errorf("\"Hide member details\" is not ticked after a click")
	}

	// 3. Statements: one default row; Add statement swaps only the
	// statements (the typed API key stays), Remove takes the new row away.
	if n := p.count(testIDSel("statement-row")); n != 1 {
		t.Fatalf("the Datadog form has %d statement rows, want the one default row", n)
	}
	if got := p.value(testIDSel("statement-resources-0")); got != "proj/*:env/*:flag/*" {
		t.Errorf("the default statement's resources = %q, want proj/*:env/*:flag/*", got)
	}
	p.do("add a statement", chromedp.Click(testID("add-statement")))
	p.waitFor("two statement rows", ldbRows(2))
	p.wantInPlace("after adding a statement")
	if got := p.value(testIDSel("field-apiKey")); got != ddKey {
		t.Errorf("after Add statement the API key field holds %q, want the typed key kept (only the statements swapped)", redact(got))
	}
	if got := p.value(testIDSel("name-input")); got != ddName {
		t.Errorf("after Add statement the name = %q, want %q kept", got, ddName)
	}
	if got := p.value(testIDSel("statement-resources-0")); got != "proj/*:env/*:flag/*" {
		t.Errorf("after Add statement the first row's resources = %q, want them kept", got)
	}
	if got := p.value(testIDSel("statement-effect-1")); got != "allow" {
		t.Errorf("the new statement's effect = %q, want allow", got)
	}
	p.do("remove the new statement", chromedp.Click(testID("remove-statement-1")))
	p.waitFor("one statement row again", ldbRows(1))
	p.wantInPlace("after removing a statement")
	if got := p.value(testIDSel("statement-resources-0")); got != "proj/*:env/*:flag/*" {
		t.Errorf("after Remove the remaining row's resources = %q, want the first row kept", got)
	}
	if got := p.value(testIDSel("field-apiKey")); got != ddKey {
		t.Errorf("after Remove the API key field holds %q, want the typed key kept", redact(got))
	}
	p.screenshot("/tmp/ld-datadog-form.png")

	// 4. An empty name, the browser's required check taken off: the
	// server's 422 re-render marks the name and empties the API key.
	p.do("empty the name, without the browser's check",
		chromedp.RemoveAttribute(testID("name-input"), "required"),
		ifbClear(testIDSel("name-input")),
	)
	p.follow("save with an empty name", 422, chromedp.Click(testID("save")))
	p.wantText("name error", testIDSel("error-name"), "")
	p.wantText("form alert", testIDSel("form-error"), "Nothing was saved")
	if !p.truthy(`document.querySelector('#name').parentElement.contains(document.querySelector('#name-error'))`) {
		t.Errorf("the name error is not shown next to the name field")
	}
	if got := p.value(testIDSel("field-apiKey")); got != "" {
		t.Errorf("after the 422 the API key field holds %q, want it empty (secrets are never echoed)", redact(got))
	}
	if strings.Contains(p.html(), ddKey) {
		t.Errorf("the 422 page carries the typed API key")
	}
	if got := p.value(testIDSel("team-select")); got != team.ID {
		t.Errorf("after the 422 team = %q, want %q kept", got, team.ID)
	}
	if got := p.value(testIDSel("field-hostURL")); got != ddSite {
		t.Errorf("after the 422 the Datadog site = %q, want %q kept", got, ddSite)
	}
	if !p.checked("field-hideMemberDetails") {
		t.Errorf("after the 422 \"Hide member details\" is unticked, want it kept")
	}
	if n := p.count(testIDSel("statement-row")); n != 1 {
		t.Errorf("after the 422 the form has %d statement rows, want 1", n)
	}
	p.screenshot("/tmp/ld-datadog-422.png")

	// 5. Fill in and save: the reveal shows the API key masked.
	p.do("fill the name and the API key again",
		chromedp.SendKeys(testID("name-input"), ddName),
		chromedp.SendKeys(testID("field-apiKey"), ddKey),
	)
	p.follow("save the Datadog configuration", 200, chromedp.Click(testID("save")))
	ddReveal := p.path()
	if !strings.HasPrefix(ddReveal, "/reveal/") {
		t.Fatalf("after saving: at %s, want /reveal/{id}", p.location())
	}
	p.wantText("reveal heading", "h1", ddName+" (Datadog Events)")
	p.wantText("reveal warning", testIDSel("reveal-warning"), "only time")
	mask := p.attr(testIDSel("reveal-apiKey"), "data-masked")
	if got := p.text(testIDSel("reveal-apiKey")); got != mask || mask == "" || strings.Contains(got, ddKey) {
		t.Errorf("the API key box shows %q, want the mask %q", redact(got), mask)
	}
	toggle := `[data-toggle-secret="#reveal-apiKey"]`
	p.wantText("toggle label", toggle, "Show")
	p.do("press Show", chromedp.Click(chromedp.CSS(toggle)))
	if got := p.text(testIDSel("reveal-apiKey")); got != ddKey {
		t.Errorf("after Show the API key box shows %q, want the key", redact(got))
	}
	p.wantText("toggle label after Show", toggle, "Hide")
	p.do("press Hide", chromedp.Click(chromedp.CSS(toggle)))
	if got := p.text(testIDSel("reveal-apiKey")); got != mask {
		t.Errorf("after Hide the API key box shows %q, want the mask again", redact(got))
	}
	if n := p.count(`[data-testid^="reveal-"]:not([data-testid="reveal-warning"]):not([data-testid="reveal-done"])`); n != 1 {
		t.Errorf("the Datadog reveal shows %d values, want only the API key", n)
	}
	p.do("copy button shown", chromedp.WaitVisible(testID("copy-apiKey")))

	// 6. "I have stored them": the detail page, with the key masked.
	ddID := strings.TrimPrefix(p.attr(testIDSel("reveal-done"), "href"), "/integrations/")
	p.follow("I have stored them", 200, chromedp.Click(testID("reveal-done")))
	p.wantPath("Datadog detail page", "/integrations/"+ddID)
	p.wantText("detail heading", testIDSel("integration-name"), ddName)
	p.wantText("detail status", testIDSel("integration-status"), "active")
	if got, want := p.text(testIDSel("config-apiKey")), ldbMask(ddKey); !strings.HasPrefix(got, want) {
		t.Errorf("the detail page shows the API key as %q, want the mask %q", got, want)
	}
	for label, want := range map[string]string{
		"Integration": "Datadog Events (datadog)", "Team": team.Name, "Datadog site": ddSite, "Hide member details": "yes",
		"Audit statement 1": "allow · resources proj/*:env/*:flag/* · actions *",
	} {
		if got := ldbDetail(p, label); got != want {
			t.Errorf("the detail page's %s = %q, want %q", label, got, want)
		}
	}
	if ldbDetail(p, "Audit statement 2") != "" {
		t.Errorf("the detail page shows a second audit statement; the removed row was saved")
	}
	if strings.Contains(p.html(), ddKey) {
		t.Errorf("the detail page carries the API key")
	}

	// 7. Once only: the reveal's address again answers 410.
	p.open("the reveal again", ddReveal, 410)
	p.wantText("410 message", testIDSel("message-text"), "already shown")
	if strings.Contains(p.html(), ddKey) {
		t.Errorf("the 410 page carries the API key")
	}
	p.wantNoConsoleErrors()

	// 8. ServiceNow: dependsOn in app.js, then the generated secret.
	p.open("LaunchDarkly chooser again", "/integrations/new/launchdarkly", 200)
	p.do("mark the page again", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
	p.do("choose the ServiceNow card", chromedp.Click(testID("ld-card-servicenow")))
	p.waitFor("the ServiceNow form", `(document.querySelector('[data-testid="ld-manifest-name"]') || {}).textContent === 'ServiceNow'`)
	p.wantInPlace("after choosing ServiceNow")
	if got := ldbQuery(p, "integrationKey"); got != "servicenow" {
		t.Errorf("the address has integrationKey=%q, want servicenow", got)
	}
	if got := p.value(testIDSel("field-authMethod")); got != "basic" {
		t.Errorf("Authentication = %q, want its default basic", got)
	}
	// Basic: username and password shown, the OAuth fields hidden and off.
	p.waitFor("the OAuth inputs disabled", ldbDisabled(testIDSel("field-clientId"))+" && "+ldbDisabled(testIDSel("field-clientSecret")))
	for _, k := range []string{"username", "password"} {
		if !p.truthy(ldbDisplayed(testIDSel("ld-field-" + k))) {
			t.Errorf("with basic authentication the %s field is not displayed", k)
		}
		if p.truthy(ldbDisabled(testIDSel("field-" + k))) {
			t.Errorf("with basic authentication the %s input is disabled", k)
		}
	}
	for _, k := range []string{"clientId", "clientSecret"} {
		if p.truthy(ldbDisplayed(testIDSel("ld-field-" + k))) {
			t.Errorf("with basic authentication the %s field is displayed, want it hidden", k)
		}
	}
	if typ := p.attr(testIDSel("field-password"), "type"); typ != "password" {
		t.Errorf("password input type = %q, want password", typ)
	}
	if typ := p.attr(testIDSel("field-clientSecret"), "type"); typ != "password" {
		t.Errorf("client secret input type = %q, want password", typ)
	}
	p.wantText("generated webhook secret note", testIDSel("generated-webhookSecret"), "Switchboard makes this value when you save")
	p.screenshot("/tmp/ld-servicenow-form-basic.png")

	// OAuth client credentials: the other way round.
	ifbChoose(p, "field-authMethod", "oauth-client-credentials")
	p.waitFor("the OAuth fields shown",
		ldbDisplayed(testIDSel("ld-field-clientId"))+" && "+ldbDisplayed(testIDSel("ld-field-clientSecret"))+
			" && !"+ldbDisplayed(testIDSel("ld-field-username"))+" && !"+ldbDisplayed(testIDSel("ld-field-password")))
	for k, disabled := range map[string]bool{"username": true, "password": true, "clientId": false, "clientSecret": false} {
		if got := p.truthy(ldbDisabled(testIDSel("field-" + k))); got != disabled {
			t.Errorf("with OAuth client credentials the %s input is disabled=%v, want %v", k, got, disabled)
		}
	}
	p.wantInPlace("after changing the authentication method")
	ifbChoose(p, "team-select", team.ID)
	p.do("fill the ServiceNow form",
		chromedp.SendKeys(testID("name-input"), snName),
		chromedp.SendKeys(testID("field-instanceUrl"), snURL),
		chromedp.SendKeys(testID("field-clientId"), snClientID),
		chromedp.SendKeys(testID("field-clientSecret"), snSecret),
	)
	p.screenshot("/tmp/ld-servicenow-form.png")
	p.follow("save the ServiceNow configuration", 200, chromedp.Click(testID("save")))
	if !strings.HasPrefix(p.path(), "/reveal/") {
		t.Fatalf("after saving ServiceNow: at %s, want /reveal/{id}", p.location())
	}
	p.wantText("ServiceNow reveal heading", "h1", snName+" (ServiceNow)")
	if got, mask := p.text(testIDSel("reveal-clientSecret")), p.attr(testIDSel("reveal-clientSecret"), "data-masked"); got != mask || strings.Contains(got, snSecret) {
		t.Errorf("the client secret box shows %q, want the mask %q", redact(got), mask)
	}
	if got := p.attr(testIDSel("reveal-clientSecret"), "data-value"); got != snSecret {
		t.Errorf("the client secret box holds %q for Show, want the typed secret", redact(got))
	}
	webhook := p.text(testIDSel("reveal-webhookSecret"))
	generated = append(generated, webhook)
	if len(webhook) < 20 || strings.Contains(webhook, "•") {
		t.Errorf("the webhook signing secret shows as %q, want the generated value in full", redact(webhook))
	}
	if n := p.count(`[data-toggle-secret="#reveal-webhookSecret"]`); n != 0 {
		t.Errorf("the generated webhook secret has a Show toggle, want it shown in full")
	}
	for _, k := range []string{"username", "password", "clientId"} {
		if n := p.count(testIDSel("reveal-" + k)); n != 0 {
			t.Errorf("the ServiceNow reveal shows %s", k)
		}
	}
	p.screenshot("/tmp/ld-servicenow-reveal.png")
	snID := strings.TrimPrefix(p.attr(testIDSel("reveal-done"), "href"), "/integrations/")
	p.follow("I have stored them (ServiceNow)", 200, chromedp.Click(testID("reveal-done")))
	p.wantPath("ServiceNow detail page", "/integrations/"+snID)
	if got := p.text(testIDSel("config-webhookSecret")); got != webhook {
		t.Errorf("the detail page's webhook signing secret = %q, want the revealed %q", redact(got), redact(webhook))
	}
	if got := p.text(testIDSel("config-authMethod")); got != "oauth-client-credentials" {
		t.Errorf("the detail page's Authentication = %q, want oauth-client-credentials", got)
	}
	if got := p.text(testIDSel("config-clientId")); got != snClientID {
		t.Errorf("the detail page's OAuth client ID = %q, want %q", got, snClientID)
	}
	if got, want := p.text(testIDSel("config-clientSecret")), ldbMask(snSecret); !strings.HasPrefix(got, want) {
		t.Errorf("the detail page shows the client secret as %q, want the mask %q", got, want)
	}
	if got := p.text(testIDSel("config-instanceUrl")); got != snURL {
		t.Errorf("the detail page's instance URL = %q, want %q", got, snURL)
	}
	for _, label := range []string{"Username", "Password"} {
		if got := ldbDetail(p, label); got != "" {
			t.Errorf("the OAuth configuration's detail page shows %s %q, want none", label, got)
		}
	}
	if strings.Contains(p.html(), snSecret) {
		t.Errorf("the detail page carries the client secret")
	}
	p.screenshot("/tmp/ld-servicenow-detail.png")
	p.wantNoConsoleErrors()

	// 9. JavaScript off, in a fresh browser context.
	q := newTab(t, browser, base, "launchdarkly-nojs-"+string(d))
	q.do("disable JavaScript", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	ifbSignIn(t, q, email)
	q.open("LaunchDarkly chooser (no JavaScript)", "/integrations/new/launchdarkly", 200)
	if class := q.attr("html", "class"); strings.Contains(" "+class+" ", " js ") {
		t.Fatalf("<html class=%q>: app.js ran, JavaScript is not off", class)
	}
	q.follow("follow the ServiceNow card (no JavaScript)", 200, chromedp.Click(testID("ld-card-servicenow")))
	q.wantPath("ServiceNow form (no JavaScript)", "/integrations/new/launchdarkly")
	if got := ldbQuery(q, "integrationKey"); got != "servicenow" {
		t.Errorf("without JavaScript the card led to integrationKey=%q, want servicenow", got)
	}
	q.wantText("ServiceNow heading (no JavaScript)", testIDSel("ld-manifest-name"), "ServiceNow")
	hints := map[string]string{
		"username":     `Used only when Authentication is "basic".`,
		"password":     `Used only when Authentication is "basic".`,
		"clientId":     `Used only when Authentication is "oauth-client-credentials".`,
		"clientSecret": `Used only when Authentication is "oauth-client-credentials".`,
	}
	for k, hint := range hints {
		if !q.truthy(ldbDisplayed(testIDSel("ld-field-" + k))) {
			t.Errorf("without JavaScript the %s field is not displayed, want every field shown", k)
		}
		if q.truthy(ldbDisabled(testIDSel("field-" + k))) {
			t.Errorf("without JavaScript the %s input is disabled", k)
		}
		q.wantText(k+" hint (no JavaScript)", testIDSel("depends-"+k), hint)
	}
	q.screenshot("/tmp/ld-servicenow-nojs.png")

	// A statement row without JavaScript: Datadog, by a full page POST.
	q.open("Datadog form (no JavaScript)", "/integrations/new/launchdarkly?integrationKey=datadog", 200)
	ifbChoose(q, "team-select", team.ID)
	q.do("fill the Datadog form (no JavaScript)",
		chromedp.SendKeys(testID("name-input"), ddName+" (no JavaScript)"),
		chromedp.SendKeys(testID("field-apiKey"), ddKeyNoJS),
	)
	q.follow("add a statement (no JavaScript)", 200, chromedp.Click(testID("add-statement")))
	q.wantPath("after Add statement (no JavaScript)", "/integrations/new/launchdarkly")
	if n := q.count(testIDSel("statement-row")); n != 2 {
		t.Errorf("without JavaScript Add statement gave %d statement rows, want 2", n)
	}
	// The typed API key is kept sealed on the server for the save (issue 13).
	q.wantText("secrets notice (no JavaScript)", testIDSel("ld-notice"), "are kept on the server")
	if q.count(testIDSel("draft-kept-apiKey")) != 1 {
		t.Errorf("after the no-JavaScript reload the API key field does not say it is kept")
	}
	if got := q.value(testIDSel("field-apiKey")); got != "" {
		t.Errorf("after the no-JavaScript reload the API key field holds %q, want it empty", redact(got))
	}
	if got := q.value(testIDSel("name-input")); got != ddName+" (no JavaScript)" {
		t.Errorf("after the no-JavaScript reload the name = %q, want it kept", got)
	}
	if got := q.value(testIDSel("team-select")); got != team.ID {
		t.Errorf("after the no-JavaScript reload team = %q, want %q kept", got, team.ID)
	}
	q.screenshot("/tmp/ld-datadog-nojs-statements.png")
	q.follow("remove the new statement (no JavaScript)", 200, chromedp.Click(testID("remove-statement-1")))
	if n := q.count(testIDSel("statement-row")); n != 1 {
		t.Errorf("without JavaScript Remove left %d statement rows, want 1", n)
	}

	// ServiceNow basic saves without JavaScript; the unused OAuth fields
	// are sent empty and the server drops them.
	q.open("ServiceNow form (no JavaScript)", "/integrations/new/launchdarkly?integrationKey=servicenow", 200)
	ifbChoose(q, "team-select", team.ID)
	// First without a username: shown (basic), so the server requires it.
	q.do("fill ServiceNow basic without a username (no JavaScript)",
		chromedp.SendKeys(testID("name-input"), noJSName),
		chromedp.SendKeys(testID("field-instanceUrl"), snURL),
		chromedp.SendKeys(testID("field-password"), snPassword),
	)
	q.follow("save ServiceNow basic without a username (no JavaScript)", 422, chromedp.Click(testID("save")))
	q.wantText("username error (no JavaScript)", testIDSel("ld-field-username")+" .field-error", "is required")
	if n := q.count(testIDSel("ld-field-clientId") + " .field-error"); n != 0 {
		t.Errorf("the unused OAuth client ID is marked in error: %q", q.texts(testIDSel("ld-field-clientId")+" .field-error"))
	}
	if got := q.value(testIDSel("field-password")); got != "" {
		t.Errorf("after the 422 the password field holds %q, want it empty", redact(got))
	}
	q.do("fill the username and the password again (no JavaScript)",
		chromedp.SendKeys(testID("field-username"), "change-bot"),
		chromedp.SendKeys(testID("field-password"), snPassword),
	)
	resp := q.follow("save ServiceNow basic (no JavaScript)", 0, chromedp.Click(testID("save")))
	if !strings.HasPrefix(q.path(), "/reveal/") {
		t.Fatalf("after saving ServiceNow basic without JavaScript: status %d at %s (%s), want /reveal/{id}",
			resp.Status, q.location(), q.texts(`[data-testid="form-error"], .field-error`))
	}
	q.wantText("no-JavaScript reveal heading", "h1", noJSName+" (ServiceNow)")
	// Without JavaScript the value is in a read-only field to select (issue 13).
	if got := q.value(`textarea[data-reveal-nojs="#reveal-password"]`); got != snPassword {
		t.Errorf("the no-JavaScript reveal holds %q for the password, want the typed one", redact(got))
	}
	if got := q.text(testIDSel("reveal-password")); strings.Contains(got, snPassword) {
		t.Errorf("the no-JavaScript reveal shows the password unmasked")
	}
	q.do("Show toggle hidden without JavaScript", chromedp.WaitNotVisible(chromedp.CSS(`[data-toggle-secret="#reveal-password"]`)))
	noJSWebhook := q.text(testIDSel("reveal-webhookSecret"))
	generated = append(generated, noJSWebhook)
	if len(noJSWebhook) < 20 || noJSWebhook == webhook {
		t.Errorf("the no-JavaScript webhook signing secret = %q, want a new generated value", redact(noJSWebhook))
	}
	for _, k := range []string{"clientId", "clientSecret"} {
		if n := q.count(testIDSel("reveal-" + k)); n != 0 {
			t.Errorf("the basic configuration's reveal shows %s", k)
		}
	}
	q.follow("I have stored them (no JavaScript)", 200, chromedp.Click(testID("reveal-done")))
	if got := q.text(testIDSel("config-authMethod")); got != "basic" {
		t.Errorf("the no-JavaScript configuration's Authentication = %q, want basic", got)
	}
	if got := q.text(testIDSel("config-username")); got != "change-bot" {
		t.Errorf("the no-JavaScript configuration's Username = %q, want change-bot", got)
	}
	if got, want := q.text(testIDSel("config-password")), ldbMask(snPassword); !strings.HasPrefix(got, want) {
		t.Errorf("the detail page shows the password as %q, want the mask %q", got, want)
	}
	for _, label := range []string{"OAuth client ID", "OAuth client secret"} {
		if got := ldbDetail(q, label); got != "" {
			t.Errorf("the basic configuration's detail page shows %s %q, want none", label, got)
		}
	}
	if got := q.text(testIDSel("config-webhookSecret")); got != noJSWebhook {
		t.Errorf("the no-JavaScript detail page's webhook signing secret = %q, want the revealed one", redact(got))
	}
	q.wantNoConsoleErrors()
}
