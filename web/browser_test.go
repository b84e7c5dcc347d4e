package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// TestBrowser_NodeKeyFlow drives the node API key flow in a real Chromium,
// as an administrator would on a fresh install: first-run setup, sign-out
// and sign-in, a team and a node, the node key form (its htmx team → node
// reload and its 422 re-render), the one-time reveal and its 410 afterwards,
// the list and detail pages, and the same form again with JavaScript off.
// It runs on SQLite and on PostgreSQL.
func TestBrowser_NodeKeyFlow(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			testNodeKeyFlow(t, browser, d)
		})
	}
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "a long enough passphrase"
	teamName      = "Acme Payments"
	teamSlug      = "acme-payments"
	nodeName      = "edge-eu-1"
	keyName       = "Checkout service"
	noJSNodeName  = "edge-us-2"
	noJSKeyName   = "Batch payouts"
)

func testNodeKeyFlow(t *testing.T, browser context.Context, d db.Dialect) {
	env := webtest.New(t, d)
	base := env.Listen()
	setupToken := env.App.Access.SetupToken()

	// A fresh browser context: its own cookie jar, closed with the subtest.
	p := newTab(t, browser, base, string(d))

	// Last check, deferred so that it also runs after a failed step: no
	// secret seen in the browser reaches the server log.
	var secrets []string
	defer func() {
		logs := env.Logs.String()
		if !strings.Contains(logs, "msg=request") {
			t.Errorf("the server log has no request lines; the secret scan would prove nothing")
		}
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("the server log carries a node key secret (%s)", redact(s))
			}
		}
		if strings.Contains(logs, adminPassword) {
			t.Errorf("the server log carries the admin's password")
		}
		if strings.Contains(logs, setupToken) {
			t.Errorf("the server log carries the setup token")
		}
	}()

	// 1. First-run setup through the one-time link.
	p.open("setup page", "/setup/"+setupToken, 200)
	p.wantText("setup heading", "h1", "Welcome to Switchboard")
	p.do("fill setup form",
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
	)
	p.follow("create administrator", 200, chromedp.Click(testID("create-admin")))
	p.wantPath("after setup", "/teams")
	p.wantText("welcome flash", testIDSel("flash"), "Welcome! Your administrator account is ready")
	p.wantText("signed-in user", testIDSel("viewer"), adminEmail)

	// 2. Sign out, then sign in again through the sign-in form: a wrong
	// password first, which must be refused, then the right one.
	p.follow("sign out", 200, chromedp.Click(testID("sign-out")))
	p.wantPath("after sign-out", "/sign-in")
	// Not fatal: the rest of the flow does not depend on the message.
	if got := p.texts(testIDSel("flash")); !strings.Contains(got, "You are signed out.") {
		t.Errorf("after sign-out: the sign-in page shows flash %q, want %q", got, "You are signed out.")
	}
	if n := p.count(testIDSel("viewer")); n != 0 {
		t.Fatalf("after sign-out: %d viewer elements on the sign-in page, want none", n)
	}
	p.do("fill sign-in form (wrong password)",
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password at all"),
	)
	if resp := p.follow("sign in with a wrong password", 0, chromedp.Click(testID("sign-in"))); resp.Status < 400 || resp.Status > 499 {
		t.Fatalf("sign in with a wrong password: status %d, want a 4xx", resp.Status)
	}
	p.wantPath("after a wrong password", "/sign-in")
	p.wantText("wrong password alert", testIDSel("form-error"), "")
	if got := p.value("#email"); got != adminEmail {
		t.Errorf("after a wrong password: email field = %q, want it kept as %q", got, adminEmail)
	}
	if n := p.count(testIDSel("viewer")); n != 0 {
		t.Fatalf("a wrong password signed the browser in")
	}
	p.do("fill sign-in form", chromedp.SendKeys(chromedp.CSS("#password"), adminPassword))
	p.follow("sign in", 200, chromedp.Click(testID("sign-in")))
	p.wantPath("after sign-in", "/integrations")
	p.wantText("signed-in user after sign-in", testIDSel("viewer"), adminEmail)

	// 3. A team and a node, through the admin pages.
	p.open("teams page", "/teams", 200)
	p.do("fill team form",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="team-form"] [name="name"]`), teamName),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="team-form"] [name="slug"]`), teamSlug),
	)
	p.follow("create team", 200, chromedp.Click(testID("create-team")))
	teamID, ok := strings.CutPrefix(p.path(), "/teams/")
	if !ok || teamID == "" {
		t.Fatalf("after creating a team: at %s, want /teams/{id}", p.location())
	}
	p.wantText("team page heading", testIDSel("team-name"), teamName)
	p.wantText("team created flash", testIDSel("flash"), "Team "+teamName+" created")
	p.wantText("empty node list", testIDSel("empty-nodes"), "No nodes yet")
	p.do("fill node form", chromedp.SendKeys(chromedp.CSS(`[data-testid="node-form"] [name="name"]`), nodeName))
	p.follow("add node", 200, chromedp.Click(testID("add-node")))
	p.wantPath("after adding a node", "/teams/"+teamID)
	p.wantText("node added flash", testIDSel("flash"), "Node "+nodeName+" added.")
	p.wantText("node row", testIDSel("node-row"), nodeName)
	nodeID := p.queryParam("node row's new-key link", testIDSel("node-row")+" a", "node_id")

	// A second team, so that the form does not preselect the only team and
	// the user has to choose one (which is what loads the nodes).
	env.CreateTeam("globex")

	// 4. The node key form, reached from the provider chooser.
	p.open("provider chooser", "/integrations/new", 200)
	p.follow("choose the node API key card", 200, chromedp.Click(testID("provider-node-api-key")))
	p.wantPath("node key form", "/integrations/new/node-api-key")
	p.wantText("node select before a team is chosen", testIDSel("node-select"), "Choose a team first")
	if !p.truthy(`document.querySelector('[data-testid="node-select"]').disabled`) {
		t.Errorf("node select is enabled before a team is chosen, want disabled")
	}
	// A marker that a full page load would wipe: what follows must happen
	// in place, through htmx.
	p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
	// Type-ahead on the focused select, as a keyboard user picks an option;
	// the browser fires change, which htmx listens to.
	p.do("choose the team", chromedp.SendKeys(testID("team-select"), firstWord(teamName)))
	if got := p.value(testIDSel("team-select")); got != teamID {
		t.Fatalf("team select value = %q, want the team id %q", got, teamID)
	}
	nodeOption := chromedp.CSS(testIDSel("node-select") + ` option[value="` + nodeID + `"]`)
	if err := p.try(5*time.Second, chromedp.Query(nodeOption), chromedp.WaitEnabled(testID("node-select"))); err != nil {
		// Not fatal: report what the user sees, then go on from the form
		// the server renders for the team, so the rest of the flow still runs.
		if p.count("#node-field") == 0 {
			t.Errorf("choosing a team removed the Node field instead of loading the team's nodes (htmx swapped in an empty answer; "+
				"likely cause: the form's hx-select=\"#node-key-form\" is inherited by the team select, whose answer is only #node-field): %v", err)
		} else {
			t.Errorf("choosing a team did not load the team's nodes into the node select within 5s: %v", err)
		}
		p.open("node key form for the team (after the htmx failure)", "/integrations/new/node-api-key?team_id="+teamID, 200)
		p.do("mark the page again", chromedp.Evaluate[chromedp.Void](`window.switchboardNoReload = true`))
	} else {
		p.wantInPlace("after choosing a team")
	}
	p.do("choose the node", chromedp.SendKeys(testID("node-select"), nodeName))
	if got := p.value(testIDSel("node-select")); got != nodeID {
		t.Fatalf("node select value = %q, want the node id %q", got, nodeID)
	}
	p.do("tick a permission", chromedp.Click(testID("perm-payments.read")))

	// An empty name: the server's validation answers 422 and htmx swaps in
	// the re-rendered form. The browser's own check of the required
	// attribute is turned off, as a user with an older browser would have it.
	p.do("submit with an empty name",
		chromedp.SetAttributeValue(testID("node-key-form"), "novalidate", ""),
		chromedp.Click(testID("create-key")),
		chromedp.WaitVisible(testID("error-name")),
	)
	p.wantInPlace("after the invalid submit")
	p.wantText("name error", testIDSel("error-name"), "must be 1–255 characters")
	p.wantText("form alert", testIDSel("form-error"), "The key was not created")
	if got := p.value(testIDSel("team-select")); got != teamID {
		t.Errorf("after the invalid submit: team select = %q, want %q kept", got, teamID)
	}
	if got := p.value(testIDSel("node-select")); got != nodeID {
		t.Errorf("after the invalid submit: node select = %q, want %q kept", got, nodeID)
	}
	if !p.checked("perm-payments.read") {
		t.Errorf("after the invalid submit: permission payments.read is not ticked, want it kept")
	}
	p.screenshot("/tmp/switchboard-form-error.png")

	p.do("fill the name and tick a second permission",
		chromedp.SendKeys(testID("name-input"), keyName),
		chromedp.Click(testID("perm-payouts.read")),
	)
	p.screenshot("/tmp/switchboard-form.png")
	p.follow("create key", 200, chromedp.Click(testID("create-key")))

	// 5. The reveal: both values, the warning and the copy buttons.
	revealPath := p.path()
	if !strings.HasPrefix(revealPath, "/reveal/") {
		t.Fatalf("after creating the key: at %s, want /reveal/{id}", p.location())
	}
	p.wantText("reveal heading", "h1", "Node API key "+keyName)
	apiKey := p.text(testIDSel("reveal-api_key"))
	secret := p.text(testIDSel("reveal-secret"))
	secrets = append(secrets, secret)
	if !strings.HasPrefix(apiKey, "apex_") || len(apiKey) < 20 {
		t.Errorf("reveal api_key = %q, want apex_ and a random part", apiKey)
	}
	if !strings.HasPrefix(secret, "apexs_") || len(secret) < 20 {
		t.Errorf("reveal secret = %q, want apexs_ and a random part", redact(secret))
	}
	p.wantText("reveal warning", testIDSel("reveal-warning"), "This is the only time Switchboard shows them")
	p.do("copy buttons shown", chromedp.WaitVisible(testID("copy-api_key")), chromedp.WaitVisible(testID("copy-secret")))
	p.screenshot("/tmp/switchboard-reveal.png")
	p.do("copy the secret", chromedp.Click(testID("copy-secret")))
	p.waitFor("copy button says Copied", `document.querySelector('[data-testid="copy-secret"]').textContent.trim() === 'Copied'`)

	// 6. Once only: a reload answers 410 and the secret is gone.
	if resp := p.follow("reload the reveal", 0, chromedp.Reload()); resp.Status != 410 {
		t.Errorf("reload of the reveal: status %d, want 410", resp.Status)
	}
	p.wantPath("reloaded reveal", revealPath)
	p.do("410 page", chromedp.WaitVisible(testID("status-410")))
	p.wantText("410 message", testIDSel("message-text"), "already shown")
	if html := p.html(); strings.Contains(html, secret) {
		t.Errorf("the 410 page carries the secret")
	}

	// 7. The list and the detail page: the key is active, the secret is not shown.
	p.follow("back to integrations", 200, chromedp.Click(chromedp.CSS(testIDSel("status-410")+" a")))
	p.wantPath("integrations list", "/integrations")
	row := p.rowWith(keyName)
	for _, want := range []string{keyName, "node " + nodeName, "Node API key", teamName, adminEmail, "active"} {
		if !strings.Contains(row, want) {
			t.Errorf("integrations row %q does not show %q", row, want)
		}
	}
	p.screenshot("/tmp/switchboard-integrations.png")
	if strings.Contains(p.html(), secret) {
		t.Errorf("the integrations list carries the secret")
	}
	p.follow("open the key", 200, chromedp.Click(chromedp.CSS(testIDSel("integration-row")+" a")))
	if !strings.HasPrefix(p.path(), "/integrations/") {
		t.Fatalf("detail page: at %s, want /integrations/{id}", p.location())
	}
	p.wantText("detail heading", testIDSel("integration-name"), keyName)
	p.wantText("detail status", testIDSel("integration-status"), "active")
	details := p.text(testIDSel("integration-details"))
	for _, want := range []string{apiKey, nodeName, "payments.read, payouts.read", teamName} {
		if !strings.Contains(details, want) {
			t.Errorf("detail page does not show %q; details: %q", want, details)
		}
	}
	if strings.Contains(p.html(), secret) {
		t.Errorf("the detail page carries the secret")
	}
	p.wantNoConsoleErrors()

	// 8. The same form with JavaScript off, in a fresh browser context: the
	// <noscript> button loads the team's nodes with a plain GET.
	env.CreateNode(teamID, noJSNodeName)
	q := newTab(t, browser, base, string(d)+"-nojs")
	q.do("disable JavaScript", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	q.open("node key form, signed out", "/integrations/new/node-api-key", 200)
	q.wantPath("signed out", "/sign-in")
	if class := q.attr("html", "class"); strings.Contains(" "+class+" ", " js ") {
		t.Fatalf("<html class=%q>: app.js ran, JavaScript is not off", class)
	}
	q.do("fill sign-in form (no JavaScript)",
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
	)
	q.follow("sign in (no JavaScript)", 200, chromedp.Click(testID("sign-in")))
	q.wantPath("back at the form after sign-in", "/integrations/new/node-api-key")
	q.do("choose the team (no JavaScript)", chromedp.SendKeys(testID("team-select"), firstWord(teamName)))
	q.wantText("node select without JavaScript", testIDSel("node-select"), "Choose a team first")
	showNodes := chromedp.CSS(testIDSel("node-key-form") + ` noscript button[name="reload"]`)
	q.do("noscript button shown", chromedp.WaitVisible(showNodes))
	q.wantText("noscript button", testIDSel("node-key-form")+` noscript button[name="reload"]`, "Show this team's nodes")
	if _, err := q.tryFollow(5*time.Second, chromedp.Click(showNodes)); err != nil {
		// Not fatal: say why, then do what a user would (fill the name
		// first) so that the rest of the no-JavaScript path still runs.
		t.Errorf("pressing \"Show this team's nodes\" with the name still empty did not load the nodes; the browser says %q "+
			"(the button submits the whole form, whose Name is required: it needs formnovalidate): %v",
			q.validationMessages(), err)
		q.do("fill the name first", chromedp.SendKeys(testID("name-input"), noJSKeyName))
		q.follow("show this team's nodes, with a name", 200, chromedp.Click(showNodes))
	}
	q.wantPath("form with the team's nodes", "/integrations/new/node-api-key")
	if got := q.value(testIDSel("team-select")); got != teamID {
		t.Errorf("after the noscript reload: team select = %q, want %q", got, teamID)
	}
	q.do("choose the node (no JavaScript)", chromedp.SendKeys(testID("node-select"), noJSNodeName))
	noJSNodeID := q.value(testIDSel("node-select"))
	if noJSNodeID == "" || noJSNodeID == nodeID {
		t.Fatalf("node select value = %q after choosing %s, want that node's id", noJSNodeID, noJSNodeName)
	}
	if q.value(testIDSel("name-input")) == "" {
		q.do("fill the name (no JavaScript)", chromedp.SendKeys(testID("name-input"), noJSKeyName))
	}
	q.do("tick a permission (no JavaScript)", chromedp.Click(testID("perm-payouts.create")))
	q.screenshot("/tmp/switchboard-form-nojs.png")
	q.follow("create key (no JavaScript)", 200, chromedp.Click(testID("create-key")))
	if !strings.HasPrefix(q.path(), "/reveal/") {
		t.Fatalf("after creating the key without JavaScript: at %s, want /reveal/{id}", q.location())
	}
	noJSKey := q.text(testIDSel("reveal-api_key"))
	noJSSecret := q.text(testIDSel("reveal-secret"))
	secrets = append(secrets, noJSSecret)
	if !strings.HasPrefix(noJSKey, "apex_") || noJSKey == apiKey {
		t.Errorf("no-JavaScript reveal api_key = %q, want a new apex_ key", noJSKey)
	}
	if !strings.HasPrefix(noJSSecret, "apexs_") || noJSSecret == secret {
		t.Errorf("no-JavaScript reveal secret = %q, want a new apexs_ secret", redact(noJSSecret))
	}
	q.wantText("no-JavaScript reveal warning", testIDSel("reveal-warning"), "only time")
	// Copying needs JavaScript: the buttons are there, hidden.
	if n := q.count(testIDSel("copy-secret")); n != 1 {
		t.Errorf("no-JavaScript reveal: %d copy buttons for the secret, want 1 (hidden)", n)
	}
	q.do("copy buttons hidden without JavaScript", chromedp.WaitNotVisible(testID("copy-secret")))
	q.wantText("no-JavaScript reveal heading", "h1", "Node API key "+noJSKeyName)
	q.wantNoConsoleErrors()
}

// firstWord is what a user types to pick an option by its label.
func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// chromiumPath is where the test looks for Chromium.
func chromiumPath() string {
	if p := os.Getenv("SWITCHBOARD_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// startBrowser starts one headless Chromium for the test, or skips (fails
// when SWITCHBOARD_REQUIRE_BROWSER is set) without one. The returned
// context runs out after 90 seconds, which bounds the whole test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	return startBrowserWithin(t, 90*time.Second)
}

// startBrowserWithin is startBrowser for a test that needs longer than
// 90 s of browser time (a walk over every page).
func startBrowserWithin(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		msg := "Chromium not found at " + path + " (" + err.Error() + "); install it (apt-get install -y chromium) or set SWITCHBOARD_CHROMIUM"
		if os.Getenv("SWITCHBOARD_REQUIRE_BROWSER") != "" {
			t.Fatal(msg + " (SWITCHBOARD_REQUIRE_BROWSER is set)")
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the tests run as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc) // waits for Chromium to exit, before TempDir's cleanup
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	return browserCtx
}
