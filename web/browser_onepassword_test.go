package web_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/secrets"
	"switchboard/web/webtest"
)

// TestBrowser_OnePassword drives the 1Password service account flow in a
// real Chromium: sign in, the provider chooser, the form (a truncated token
// refused with 422, then a good one), the reveal with the token masked and
// its Show/Hide toggle and Copy button, the 410 on reload, the detail page,
// and an edit that renames while leaving the token field empty, which must
// keep the stored token. It runs on SQLite and on PostgreSQL; without
// Chromium it skips, or fails when SWITCHBOARD_REQUIRE_BROWSER is set.
func TestBrowser_OnePassword(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			testOnePasswordFlow(t, browser, d)
		})
	}
}

func testOnePasswordFlow(t *testing.T, browser context.Context, d db.Dialect) {
	const (
		email   = "ops-admin@example.com"
		name    = "Production vault"
		renamed = "Production vault (EU)"
	)
	env := webtest.New(t, d)
	base := env.Listen()
	team := env.CreateTeam("payments")
	env.CreateUser(email, sb.RoleAdmin)
	tok := newOPToken(t)
	fp := secrets.Fingerprint(tok.Token)
	p := newTab(t, browser, base, "1password-"+string(d))

	// Last check, deferred so that it also runs after a failed step: the
	// token never reaches the server log.
	defer func() {
		logs := env.Logs.String()
		if !strings.Contains(logs, "msg=request") {
			t.Errorf("the server log has no request lines; the token scan would prove nothing")
		}
		for part, c := range tok.canaries() {
			if strings.Contains(logs, c) {
				t.Errorf("the server log carries the token's %s", part)
			}
		}
	}()

	// 1. Sign in.
	p.open("sign-in page", "/sign-in", 200)
	p.do("fill sign-in form",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), webtest.Password),
	)
	p.follow("sign in", 200, chromedp.Click(testID("sign-in")))
	p.wantPath("after sign-in", "/integrations")

	// 2. The form, from the provider chooser.
	p.open("provider chooser", "/integrations/new", 200)
	p.follow("choose the 1Password card", 200, chromedp.Click(testID("provider-1password")))
	p.wantPath("1Password form", "/integrations/new/1password")
	if got := p.value(testIDSel("team-select")); got != team.ID {
		t.Errorf("team select = %q, want the only team %s preselected", got, team.ID)
	}
	if typ := p.attr(testIDSel("token-input"), "type"); typ != "password" {
		t.Errorf("token input type = %q, want password", typ)
	}

	// A token cut short when it was copied: 422, the field error beside the
	// token field, the name kept, the token field empty again.
	p.do("fill the form with a truncated token",
		chromedp.SendKeys(testID("name-input"), name),
		chromedp.SetValue(testID("token-input"), tok.Token[:len(tok.Token)/2]),
	)
	p.follow("save with a truncated token", 422, chromedp.Click(testID("save")))
	p.wantPath("after the refused save", "/integrations/new/1password")
	p.wantText("token error", testIDSel("error-token"), "truncated")
	p.wantText("form alert", testIDSel("form-error"), "Nothing was saved")
	if !p.truthy(`document.querySelector('[data-testid="error-token"]').parentElement.contains(document.querySelector('[data-testid="token-input"]'))`) {
		t.Errorf("the token error is not next to the token field")
	}
	if got := p.value(testIDSel("name-input")); got != name {
		t.Errorf("after the refused save: name = %q, want %q kept", got, name)
	}
	if got := p.value(testIDSel("token-input")); got != "" {
		t.Errorf("after the refused save: the token field holds %s, want it empty (never sent back)", redact(got))
	}

	// The whole token, typed (pasted) into the field.
	p.do("type the token", chromedp.SendKeys(testID("token-input"), tok.Token))
	p.follow("save the service account", 200, chromedp.Click(testID("save")))
	revealPath := p.path()
	if !strings.HasPrefix(revealPath, "/reveal/") {
		t.Fatalf("after saving: at %s, want /reveal/{id}", p.location())
	}

	// 3. The reveal: masked, Show reveals, Hide masks again, Copy is there.
	mask := "••••••••••••" // a fixed-length mask: it tells nothing of the length
	p.wantText("reveal heading", "h1", "1Password service account "+name)
	p.wantText("reveal warning", testIDSel("reveal-warning"), "only time")
	if got := p.text(testIDSel("reveal-token")); got != mask {
		t.Errorf("the token box shows %q, want the fixed mask", redact(got))
	}
	if got := p.text(testIDSel("reveal-fingerprint")); got != fp {
		t.Errorf("fingerprint = %q, want %q", got, fp)
	}
	p.do("copy button shown", chromedp.WaitVisible(testID("copy-token")))
	toggle := `[data-toggle-secret="#reveal-token"]`
	p.wantText("toggle label", toggle, "Show")
	p.screenshot("/tmp/switchboard-1password-reveal.png")

	p.do("press Show", chromedp.Click(chromedp.CSS(toggle)))
	if got := p.text(testIDSel("reveal-token")); got != tok.Token {
		t.Errorf("after Show the box shows %s, want the token", redact(got))
	}
	p.wantText("toggle label after Show", toggle, "Hide")
	if got := p.attr(toggle, "aria-pressed"); got != "true" {
		t.Errorf("after Show aria-pressed = %q, want true", got)
	}
	p.do("press Hide", chromedp.Click(chromedp.CSS(toggle)))
	if got := p.text(testIDSel("reveal-token")); got != mask {
		t.Errorf("after Hide the box shows %q, want the asterisks again", redact(got))
	}
	p.wantText("toggle label after Hide", toggle, "Show")
	p.do("copy the token", chromedp.Click(testID("copy-token")))
	p.waitFor("copy button says Copied", `document.querySelector('[data-testid="copy-token"]').textContent.trim() === 'Copied'`)

	// 4. Once only.
	if resp := p.follow("reload the reveal", 0, chromedp.Reload()); resp.Status != 410 {
		t.Errorf("reload of the reveal: status %d, want 410", resp.Status)
	}
	p.wantText("410 message", testIDSel("message-text"), "already shown")
	if strings.Contains(p.html(), tok.Token) {
		t.Errorf("the 410 page carries the token")
	}

	// 5. The detail page: fingerprint and sign-in address, no token.
	p.follow("back to integrations", 200, chromedp.Click(chromedp.CSS(testIDSel("status-410")+" a")))
	row := p.rowWith(name)
	for _, want := range []string{"1Password service account", "Payments", "active"} {
		if !strings.Contains(row, want) {
			t.Errorf("integrations row %q does not show %q", row, want)
		}
	}
	p.follow("open the integration", 200, chromedp.Click(chromedp.CSS(testIDSel("integration-row")+" a")))
	id, ok := strings.CutPrefix(p.path(), "/integrations/")
	if !ok || id == "" {
		t.Fatalf("detail page: at %s, want /integrations/{id}", p.location())
	}
	p.wantText("detail heading", testIDSel("integration-name"), name)
	details := p.text(testIDSel("integration-details"))
	for _, want := range []string{fp, opSignIn, "Version 1"} {
		if !strings.Contains(details, want) {
			t.Errorf("detail page does not show %q; details: %q", want, details)
		}
	}
	if strings.Contains(p.html(), tok.Token) {
		t.Errorf("the detail page carries the token")
	}
	before := opRow(t, env, id)

	// 6. Edit: change only the name, leave the token empty.
	p.follow("open the edit page", 200, chromedp.Click(testID("edit")))
	p.wantPath("edit page", "/integrations/"+id+"/edit")
	p.wantText("kept-token hint", testIDSel("token-kept"), fp)
	if got := p.value(testIDSel("token-input")); got != "" {
		t.Errorf("the edit page's token field holds %s, want it empty", redact(got))
	}
	if got := p.value(testIDSel("name-input")); got != name {
		t.Errorf("the edit page's name = %q, want %q", got, name)
	}
	p.do("rename", chromedp.Clear(testID("name-input")), chromedp.SendKeys(testID("name-input"), renamed))
	p.screenshot("/tmp/switchboard-1password-edit.png")
	p.follow("save the edit", 200, chromedp.Click(testID("save")))
	p.wantPath("after the edit", "/integrations/"+id)
	p.wantText("saved flash", testIDSel("flash"), "The stored token was kept")
	p.wantText("renamed heading", testIDSel("integration-name"), renamed)
	details = p.text(testIDSel("integration-details"))
	for _, want := range []string{fp, "Version 1"} {
		if !strings.Contains(details, want) {
			t.Errorf("after the edit the detail page does not show %q; details: %q", want, details)
		}
	}
	after := opRow(t, env, id)
	if after.Name != renamed || after.Version != 1 || !bytes.Equal(after.SecretCiphertext, before.SecretCiphertext) || after.Attrs != before.Attrs {
		t.Errorf("after a rename: name %q version %d, ciphertext same %v, attrs %s; want %q, 1, true, %s",
			after.Name, after.Version, bytes.Equal(after.SecretCiphertext, before.SecretCiphertext), after.Attrs, renamed, before.Attrs)
	}
	if got := opStored(t, env, id); got != tok.Token {
		t.Errorf("the stored token changed on a rename")
	}
	if strings.Contains(p.html(), tok.Token) {
		t.Errorf("the detail page carries the token")
	}
	p.wantNoConsoleErrors()
}
