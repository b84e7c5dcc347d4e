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
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// TestBrowser_SupportScopeAndLifecycle drives Switchboard in a real
// Chromium as a support user of one team: the integrations list shows only
// that team's integrations; another team's integration, its confirmation
// pages and its actions answer 404 when the address is typed; a form whose
// team or node value is edited to another team's is refused and creates
// nothing there. Then the lifecycle dialog on its own integration: Disable
// opens a modal dialog, Cancel closes it with nothing changed, Disable and
// confirm disables it, Enable brings it back. On SQLite and PostgreSQL.
func TestBrowser_SupportScopeAndLifecycle(t *testing.T) {
	browser := startBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			testSupportScope(t, browser, d)
		})
	}
}

func testSupportScope(t *testing.T, browser context.Context, d db.Dialect) {
	env := webtest.New(t, d)
	base := env.Listen()
	own := env.CreateTeam("payments")
	other := env.CreateTeam("growth")
	env.CreateUser("support@example.com", sb.RoleSupport, own.Slug)
	ownToken, otherToken := env.CreateToken(own.ID, false), env.CreateToken(other.ID, false)
	mk := func(token, name string) string {
		resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"honeycomb", token, true,
			map[string]any{"name": name, "configValues": map[string]any{"datasetName": "prod", "apiKey": "hc-0123456789abcdef"}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %d %s", name, resp.StatusCode, raw)
		}
		return m["_id"].(string)
	}
	ownID := mk(ownToken, "Payments markers")
	otherID := mk(otherToken, "Growth markers")
	otherNode := env.CreateNode(other.ID, "growth-edge")
	env.CreateNode(own.ID, "payments-edge")
	countIn := func(teamID string) int {
		rows, _ := env.App.Services.List(context.Background(), sb.Actor{Role: sb.RoleAdmin}, integrations.ListFilter{TeamID: teamID})
		return len(rows)
	}

	p := newTab(t, browser, base, "support-"+string(d))
	ifbSignIn(t, p, "support@example.com")
	// The list: only the own team's integration.
	if list := p.text(testIDSel("integrations-table")); !strings.Contains(list, "Payments markers") || strings.Contains(list, "Growth markers") {
		t.Errorf("the support user's list = %q, want only Payments markers", list)
	}
	// Typed addresses of another team's integration: 404, no data.
	for _, path := range []string{"/integrations/" + otherID, "/integrations/" + otherID + "/edit", "/integrations/" + otherID + "/confirm/delete"} {
		p.open("another team's "+path, path, http.StatusNotFound)
		if html := p.html(); strings.Contains(html, "Growth markers") || strings.Contains(html, "growth") {
			t.Errorf("%s shows another team's data", path)
		}
	}
	// A form whose team is edited to another team's: refused, nothing made.
	p.open("LaunchDarkly form", "/integrations/new/launchdarkly?integrationKey=honeycomb", 200)
	if n := p.count(testIDSel("team-select") + ` option[value="` + other.ID + `"]`); n != 0 {
		t.Fatalf("the team select offers another team")
	}
	p.do("point the form at another team", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const s = document.querySelector('[data-testid="team-select"]'); const o = document.createElement('option'); o.value = %q; o.textContent = 'forged'; s.appendChild(o); s.value = %q; })()`, other.ID, other.ID)))
	p.do("fill the form",
		chromedp.SendKeys(testID("name-input"), "Forged markers"),
		chromedp.SendKeys(testID("field-datasetName"), "prod"),
		chromedp.SendKeys(testID("field-apiKey"), "hc-forged-0123456789"),
	)
	p.follow("save the forged form", http.StatusUnprocessableEntity, chromedp.Click(testID("save")))
	if !strings.Contains(p.text(testIDSel("error-team_id")), "choose one of your teams") {
		t.Errorf("the forged team gets no error next to the team field")
	}
	// The node key form with another team's node forged into it.
	p.open("node key form", "/integrations/new/node-api-key?team_id="+own.ID, 200)
	p.do("point the node at another team's", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const s = document.querySelector('#node_id'); const o = document.createElement('option'); o.value = %q; o.textContent = 'forged'; s.appendChild(o); s.value = %q; })()`, otherNode.ID, otherNode.ID)))
	p.do("name the key", chromedp.SendKeys(chromedp.CSS("#name"), "Forged key"))
	// The node key form posts through htmx and answers 422 with the form.
	p.do("save the forged node key", chromedp.Click(chromedp.CSS(`form[action="/integrations/new/node-api-key"] button[type="submit"]:not([name])`)))
	p.waitFor("the node error", `!!document.querySelector('[data-testid="error-node_id"]')`)
	p.wantText("the node error", testIDSel("error-node_id"), "choose a node of this team")
	if n := countIn(other.ID); n != 1 {
		t.Errorf("another team has %d integrations after the forged forms, want its 1", n)
	}

	// The lifecycle dialog on the own integration; the 404s above logged
	// console errors on purpose, the rest must log none.
	p.mu.Lock()
	p.console = nil
	p.mu.Unlock()
	detail := "/integrations/" + ownID
	p.open("own integration", detail, 200)
	p.do("open the disable dialog", chromedp.Click(testID("disable")))
	p.waitFor("the dialog is open", `(document.querySelector('dialog[data-confirm-dialog]') || {}).open === true`)
	p.wantText("dialog title", "#confirm-title", "Disable Payments markers?")
	p.do("cancel", chromedp.Click(chromedp.CSS(`dialog[data-confirm-dialog] [data-testid="cancel"]`)))
	p.waitFor("the dialog is gone", `document.querySelector('dialog[data-confirm-dialog]') === null`)
	p.wantPath("still on the detail page", detail)
	if st := lcStatus(t, env, ownID); st != "active" {
		t.Fatalf("after Cancel the status is %s, want active", st)
	}
	p.do("open the disable dialog again", chromedp.Click(testID("disable")))
	p.waitFor("the dialog is open again", `(document.querySelector('dialog[data-confirm-dialog]') || {}).open === true`)
	p.follow("confirm disable", 200, chromedp.Click(chromedp.CSS(`dialog[data-confirm-dialog] [data-testid="confirm"]`)))
	p.wantPath("back on the detail page", detail)
	p.wantText("disabled status", testIDSel("integration-status"), "disabled")
	if st := lcStatus(t, env, ownID); st != "disabled" {
		t.Errorf("after confirming, the status is %s, want disabled", st)
	}
	p.do("open the enable dialog", chromedp.Click(testID("enable")))
	p.waitFor("the enable dialog", `(document.querySelector('dialog[data-confirm-dialog]') || {}).open === true`)
	p.follow("confirm enable", 200, chromedp.Click(chromedp.CSS(`dialog[data-confirm-dialog] [data-testid="confirm"]`)))
	p.wantText("active status", testIDSel("integration-status"), "active")
	p.screenshot("/tmp/switchboard-support-detail-" + string(d) + ".png")
	p.wantNoConsoleErrors()
}
