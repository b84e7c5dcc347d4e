package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	sb "switchboard"
	"switchboard/db"
	"switchboard/db/dbtest"
	"switchboard/web/webtest"
)

// TestBrowser_WebhooksAndRoll drives webhooks and a key roll in a real
// Chromium: an admin adds an endpoint (an httptest receiver that checks
// Switchboard-Signature on every delivery) and reads its secret once on
// the reveal; creating a node key is an event, the dispatcher is drained
// (RunOnce, no waiting), and the endpoint's delivery log shows it
// delivered with HTTP 200; Redeliver sends it a second time. Then the key
// is rolled from its page with a 1-hour grace: the list shows the new key
// active and the old one "rolled: works until …". On SQLite and PostgreSQL;
// without Chromium it skips, or fails when SWITCHBOARD_REQUIRE_BROWSER is set.
func TestBrowser_WebhooksAndRoll(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			testWebhooksAndRollFlow(t, browser, d)
		})
	}
}

func testWebhooksAndRollFlow(t *testing.T, browser context.Context, d db.Dialect) {
	const email = "hooks-admin@example.com"
	env := webtest.New(t, d)
	base := env.Listen()
	team := env.CreateTeam("payments")
	env.CreateUser(email, sb.RoleAdmin)
	node := env.CreateNode(team.ID, "edge")
	rcv := whNewReceiver(t)
	p := newTab(t, browser, base, "webhooks-"+string(d))
	ifbSignIn(t, p, email)

	// 1. Add an endpoint for integration.* events; the secret once.
	p.open("the Webhooks page", "/webhooks", http.StatusOK)
	p.do("fill the webhook form", chromedp.SendKeys(testID("webhook-url"), rcv.srv.URL+"/hook"),
		ifbClear(testIDSel("webhook-events")), chromedp.SendKeys(testID("webhook-events"), "integration."))
	p.follow("add the webhook", http.StatusOK, chromedp.Click(testID("webhook-create")))
	if !strings.HasPrefix(p.path(), "/reveal/") {
		p.fail("after adding", fmt.Errorf("at %s, want the reveal", p.location()))
	}
	reveal := p.location()
	secret := p.text(testIDSel("reveal-secret"))
	if !whSecretRE.MatchString(secret) {
		t.Fatalf("the reveal shows %q, want a signing secret", redact(secret))
	}
	rcv.mu.Lock()
	rcv.secret = secret
	rcv.mu.Unlock()
	p.follow("done with the reveal", http.StatusOK, chromedp.Click(testID("reveal-done")))
	if !strings.HasPrefix(p.path(), "/webhooks/") {
		p.fail("after the reveal", fmt.Errorf("at %s, want the endpoint's page", p.location()))
	}
	endpoint := p.path()
	p.wantText("the endpoint's URL", testIDSel("webhook-url-title"), rcv.srv.URL+"/hook")
	if strings.Contains(p.html(), secret) {
		t.Error("the endpoint page shows the secret")
	}
	p.open("the reveal again", strings.TrimPrefix(reveal, base), http.StatusGone)
	if strings.Contains(p.html(), secret) {
		t.Error("the reveal shows the secret a second time")
	}

	// 2. An event (a node key is created), the dispatcher drained: the
	// delivery log shows it delivered with its response code.
	rw := env.CreateToken(team.ID, false)
	keyID, _, _ := vkKey(t, env, rw, node.ID, nil)
	if n, err := env.App.WebhookDispatcher.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("the dispatcher attempted %d (%v), want 1", n, err)
	}
	p.open("the endpoint's page", endpoint, http.StatusOK)
	if n := p.count(testIDSel("delivery-row")); n != 1 {
		t.Fatalf("%d delivery rows, want 1", n)
	}
	p.wantText("the delivery's status", testIDSel("delivery-status"), "delivered")
	p.wantText("the delivery's response", testIDSel("delivery-code"), "HTTP 200")
	p.wantText("the delivery's event", testIDSel("delivery-row"), "integration.create")

	// 3. Redeliver: queued again, sent a second time.
	p.follow("redeliver", http.StatusOK, chromedp.Click(testID("redeliver")))
	p.wantPath("back on the endpoint", endpoint)
	if n, err := env.App.WebhookDispatcher.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("after Redeliver the dispatcher attempted %d (%v), want 1", n, err)
	}
	got := rcv.deliveries()
	if len(got) != 2 || got[0].EventID != got[1].EventID || got[1].Code != http.StatusOK {
		t.Fatalf("the receiver saw %+v, want the same event twice", got)
	}
	p.open("the endpoint's page after Redeliver", endpoint, http.StatusOK)
	p.wantText("the redelivered status", testIDSel("delivery-status"), "delivered")
	p.wantText("the redelivered response", testIDSel("delivery-code"), "HTTP 200")

	// 4. Roll the key from its page with a 1-hour grace: both are listed.
	p.open("the key's page", "/integrations/"+keyID, http.StatusOK)
	p.do("open the rotate dialog", chromedp.Click(testID("rotate")))
	p.waitFor("the rotate dialog", `(document.querySelector('dialog[data-confirm-dialog]') || {}).open === true`)
	ifbChoose(p, "expires-old-in", "1h")
	p.follow("confirm the roll", http.StatusOK, chromedp.Click(chromedp.CSS(`dialog[data-confirm-dialog] [data-testid="confirm"]`)))
	if !strings.HasPrefix(p.path(), "/reveal/") {
		p.fail("after the roll", fmt.Errorf("at %s, want the reveal", p.location()))
	}
	if k := p.text(testIDSel("reveal-api_key")); !strings.HasPrefix(k, "apex_") {
		t.Errorf("the roll's reveal shows %q, want a new key", redact(k))
	}
	p.open("the integrations list", "/integrations", http.StatusOK)
	oldRow := p.rowWithID(keyID)
	if !strings.Contains(oldRow, "rolled: works until") {
		t.Errorf("the old key's row reads %q, want rolled: works until …", oldRow)
	}
	rows := p.count(testIDSel("integration-row"))
	if rows != 2 {
		t.Errorf("%d rows, want the old and the new key", rows)
	}
	newRow := run(p, "read the new key's row", chromedp.Evaluate[string](fmt.Sprintf(
		`Array.from(document.querySelectorAll('[data-testid="integration-row"]')).filter(r => r.dataset.id !== %q).map(r => r.innerText).join('|')`, keyID)))
	if !strings.Contains(newRow, "active") || strings.Contains(newRow, "rolled") {
		t.Errorf("the new key's row reads %q, want active and not rolled", spaces.ReplaceAllString(newRow, " "))
	}
	p.wantNoConsoleErrors()
}

// rowWithID returns the text of the integrations row of id.
func (p *tab) rowWithID(id string) string {
	p.t.Helper()
	sel := fmt.Sprintf(`[data-testid="integration-row"][data-id=%q]`, id)
	if p.count(sel) != 1 {
		p.fail("find "+id+" in the integrations list", fmt.Errorf("no row of it"))
	}
	return p.text(sel)
}
