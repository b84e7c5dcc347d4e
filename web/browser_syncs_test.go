package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/syncs"
	"switchboard/syncs/targets/standin"
	"switchboard/web/webtest"
)

// TestBrowser_SecretSyncs drives the secret-sync family in a real Chromium:
// save two secrets on the Secrets page, add a GitHub auth (pointed at the
// GitHub stand-in, which opens every sealed box with its private key), pick
// it in the new-integration form (htmx swaps in GitHub's fields in place),
// create the integration, see it synced with both values at the stand-in,
// change one secret and see the new value arrive. Deleting a secret asks in
// the shared dialog with Cancel focused. The sync engine's queue is drained
// between steps (its runs are what the stand-in counts; no timing). On
// SQLite and PostgreSQL; without Chromium it skips, or fails when
// SWITCHBOARD_REQUIRE_BROWSER is set.
func TestBrowser_SecretSyncs(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			testSecretSyncsFlow(t, browser, d)
		})
	}
}

func testSecretSyncsFlow(t *testing.T, browser context.Context, d db.Dialect) {
	const (
		email  = "syncs-admin@example.com"
		token  = "ghp_browser_token_0001"
		first  = "browser-value-one-7Qx"
		second = "browser-value-two-9Kd"
		change = "browser-value-new-3Zp"
	)
	env := webtest.New(t, d)
	base := env.Listen()
	team := env.CreateTeam("payments")
	env.CreateUser(email, sb.RoleAdmin)
	gh := &standin.GitHub{Token: token}
	srv := httptest.NewServer(gh)
	defer srv.Close()
	// A Vault auth first, so that the form starts on Vault's fields and
	// choosing GitHub must reload them.
	if _, err := env.App.Syncs.CreateAuth(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "setup"}, syncsAuthInput(team.ID, "hashicorp-vault", "https://vault.invalid")); err != nil {
		t.Fatal(err)
	}
	p := newTab(t, browser, base, "syncs-"+string(d))
	defer func() {
		for _, s := range []string{token, first, second, change} {
			if strings.Contains(env.Logs.String(), s) {
				t.Errorf("the server log carries a value (%s)", redact(s))
			}
		}
	}()
	ifbSignIn(t, p, email)

	// 1. Two secrets on the Secrets page; values are never shown back.
	secretsPage := "/secrets?team=" + team.ID + "&env=dev&path=/"
	for _, kv := range [][2]string{{"DB_PASSWORD", first}, {"API_KEY", second}} {
		p.open("the Secrets page", secretsPage, http.StatusOK)
		p.do("fill "+kv[0], chromedp.SendKeys(testID("secret-key-input"), kv[0]), chromedp.SendKeys(testID("secret-value-input"), kv[1]))
		p.follow("save "+kv[0], http.StatusOK, chromedp.Click(testID("save-secret")))
		if strings.Contains(p.html(), kv[1]) {
			t.Errorf("the page shows the value of %s after saving", kv[0])
		}
	}
	if n := p.count(testIDSel("secret-row")); n != 2 {
		t.Errorf("%d secret rows, want 2", n)
	}

	// 2. Deleting asks in the shared dialog, Cancel focused; Cancel keeps it.
	p.do("press Delete on API_KEY", chromedp.Click(chromedp.CSS(`[data-key="API_KEY"] `+testIDSel("delete-secret"))),
		chromedp.WaitVisible(testID("confirm-dialog")))
	if !p.truthy(`document.activeElement && document.activeElement.getAttribute('data-testid') === 'cancel'`) {
		t.Error("the delete dialog does not focus Cancel")
	}
	p.do("cancel", chromedp.Click(chromedp.CSS(testIDSel("confirm-dialog")+" "+testIDSel("cancel"))))
	p.waitFor("the dialog closes", `document.querySelector('[data-testid="confirm-dialog"]') === null`)
	if n := p.count(testIDSel("secret-row")); n != 2 {
		t.Errorf("after Cancel %d secret rows, want 2", n)
	}

	// 3. A GitHub auth pointed at the stand-in.
	p.open("the Secret syncs page", "/secret-syncs?team="+team.ID, http.StatusOK)
	ifbChoose(p, "auth-integration", "github")
	p.do("fill the auth", chromedp.SendKeys(testID("auth-url"), srv.URL), chromedp.SendKeys(testID("auth-access-token"), token))
	p.follow("save the auth", http.StatusOK, chromedp.Click(testID("create-auth")))

	// 4. New integration: choosing the GitHub auth swaps in its fields.
	p.follow("open the form", http.StatusOK, chromedp.Click(testID("new-sync")))
	p.wantPath("the form", "/secret-syncs/new")
	if p.count(testIDSel("sync-owner")) != 0 || p.count(testIDSel("sync-targetPath")) != 1 {
		t.Errorf("the form does not start on Vault's fields")
	}
	p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
	ghAuth := run(p, "find the GitHub auth", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll('[data-testid="sync-auth"] option')).find(o => o.textContent.startsWith('GitHub')).value`))
	ifbChoose(p, "sync-auth", ghAuth)
	if err := p.try(5*time.Second, chromedp.WaitVisible(testID("sync-owner"))); err != nil {
		p.fail("GitHub's fields after choosing the auth", err)
	}
	p.wantInPlace("after choosing the GitHub auth")
	if p.count(testIDSel("sync-targetPath")) != 0 {
		t.Error("Vault's fields are still shown for GitHub")
	}
	p.do("fill GitHub's fields", chromedp.SendKeys(testID("sync-owner"), "acme"), chromedp.SendKeys(testID("sync-app"), "payments"))
	p.follow("create the integration", http.StatusOK, chromedp.Click(testID("create-sync")))
	if !strings.HasPrefix(p.path(), "/secret-syncs/") {
		p.fail("after create", fmt.Errorf("at %s, want the integration's page", p.location()))
	}
	syncPath := p.path()

	// 5. The first run: synced, both values at the stand-in.
	drainSyncs(t, env)
	p.open("the integration", syncPath, http.StatusOK)
	if st := strings.TrimSpace(p.text(testIDSel("sync-state"))); st != "synced" {
		t.Errorf("state after the first run = %q (%s), want synced", st, p.text(testIDSel("sync-message")))
	}
	got := gh.Secrets("acme/payments")
	if got["DB_PASSWORD"] != first || got["API_KEY"] != second {
		t.Errorf("the stand-in holds %d secrets, want both values", len(got))
	}
	if strings.Contains(p.html(), first) {
		t.Error("the integration page shows a value")
	}

	// 6. Change one secret in the browser: the new value arrives.
	p.open("the Secrets page", secretsPage, http.StatusOK)
	p.do("change DB_PASSWORD", chromedp.SendKeys(testID("secret-key-input"), "DB_PASSWORD"), chromedp.SendKeys(testID("secret-value-input"), change))
	p.follow("save the change", http.StatusOK, chromedp.Click(testID("save-secret")))
	drainSyncs(t, env)
	if v := gh.Secrets("acme/payments")["DB_PASSWORD"]; v != change {
		t.Errorf("after the change the stand-in holds %q, want the new value", redact(v))
	}
	p.open("the integration", syncPath, http.StatusOK)
	if st := strings.TrimSpace(p.text(testIDSel("sync-state"))); st != "synced" {
		t.Errorf("state after the change = %q, want synced", st)
	}
	p.wantNoConsoleErrors()
}

func syncsAuthInput(team, integration, u string) syncs.AuthInput {
	return syncs.AuthInput{WorkspaceID: team, Integration: integration, URL: u, AccessID: "role-id", AccessToken: "secret-id-0001"}
}
