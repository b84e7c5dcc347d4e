package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db/dbtest"
	"switchboard/integrations"
	"switchboard/web/webtest"
)

// consoleViewports are the two sizes the console must work at: a phone
// (390×844, with the phone's viewport rules) and a small laptop.
var consoleViewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"phone", 390, 844, true},
	{"laptop", 1280, 800, false},
}

// layoutProblems lists, as text, what breaks the layout rules on the page
// now: a document wider than the viewport, and a table row's action
// button that is not (wholly) inside the area its scroll container shows.
const layoutProblems = `(() => {
  const out = [];
  const de = document.documentElement;
  // clientWidth is the layout viewport: a phone zooms out to show an
  // overflowing page, which makes innerWidth grow with it.
  const vw = Math.min(window.innerWidth, de.clientWidth);
  if (de.scrollWidth > vw) out.push('the document is ' + de.scrollWidth + 'px wide in a ' + vw + 'px viewport');
  for (const b of document.querySelectorAll('tbody tr button, tbody tr a.btn, tbody tr summary')) {
    if (!b.getClientRects().length) continue;
    const r = b.getBoundingClientRect();
    let left = 0, right = vw;
    for (let e = b.parentElement; e; e = e.parentElement) {
      if (/(auto|scroll|hidden)/.test(getComputedStyle(e).overflowX)) { const c = e.getBoundingClientRect(); left = c.left; right = c.right; break; }
    }
    if (r.left < left - 0.5 || r.right > right + 0.5) out.push('row button "' + b.innerText.trim() + '" spans ' + Math.round(r.left) + '–' + Math.round(r.right) + 'px, its scroll area shows ' + Math.round(left) + '–' + Math.round(right) + 'px');
  }
  return out;
})()`

// lightBackgrounds lists visible elements whose opaque background is light
// (relative luminance above 0.4) and dark text on a dark background: in
// the dark palette there are none; the body must be dark itself.
const lightBackgrounds = `(() => {
  const lum = (c) => {
    const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?/);
    if (!m || (m[4] !== undefined && +m[4] < 0.5)) return -1;
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(+m[1]) + 0.7152 * f(+m[2]) + 0.0722 * f(+m[3]);
  };
  const out = [];
  const body = lum(getComputedStyle(document.body).backgroundColor), html = lum(getComputedStyle(document.documentElement).backgroundColor);
  if (Math.max(body, html) < 0 || Math.max(body, html) > 0.1) out.push('the page background is not dark (' + getComputedStyle(document.documentElement).backgroundColor + ')');
  for (const e of document.body.querySelectorAll('*')) {
    if (!e.getClientRects().length) continue;
    const l = lum(getComputedStyle(e).backgroundColor);
    if (l > 0.4) out.push(e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).slice(0, 4).join('.') : '') + ' "' + (e.innerText || '').trim().slice(0, 30) + '" has background ' + getComputedStyle(e).backgroundColor);
    if (out.length > 8) break;
  }
  // Dark text on the dark palette (axe leaves same-colour text undecided).
  const bgOf = (e) => { for (; e; e = e.parentElement) { const l = lum(getComputedStyle(e).backgroundColor); if (l >= 0) return l; } return 1; };
  for (const e of document.body.querySelectorAll('*')) {
    if (!e.getClientRects().length || out.length > 8) continue;
    const own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const l = lum(getComputedStyle(e).color);
    if (l >= 0 && l < 0.1 && bgOf(e) < 0.1) out.push(e.tagName.toLowerCase() + ' "' + e.textContent.trim().slice(0, 30) + '" is dark text (' + getComputedStyle(e).color + ') on a dark background');
  }
  return out;
})()`

// focusRing says what the focused element is and whether it shows a ring
// (an outline or a box shadow).
const focusRing = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return {tag: '', ring: true, text: ''};
  const s = getComputedStyle(e);
  // A transparent outline (Tailwind's outline-none) or shadow is no ring.
  const visible = (c) => !/^(transparent|rgba\([^)]*,\s*0\))$/.test(c.trim());
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && visible(s.outlineColor);
  const shadow = s.boxShadow && s.boxShadow !== 'none' && /rgba?\((?![^)]*,\s*0\))/.test(s.boxShadow);
  return {tag: e.tagName.toLowerCase(), ring: outline || !!shadow, text: (e.innerText || e.getAttribute('aria-label') || e.name || '').trim().slice(0, 40) + ' ' + (e.getAttribute('href') || '')};
})()`

type focusState struct {
	Tag  string `json:"tag"`
	Ring bool   `json:"ring"`
	Text string `json:"text"`
}

// axeRun runs axe-core on the page and lists its moderate, serious and
// critical violations.
const axeRun = `(async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  const out = [];
  for (const v of r.violations) {
    if (!['moderate', 'serious', 'critical'].includes(v.impact)) continue;
    out.push(v.impact + ' ' + v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ') + (n.failureSummary ? ' (' + n.failureSummary.replace(/\s+/g, ' ').slice(0, 160) + ')' : '')).join('; '));
  }
  return out;
})()`

// axeSource is axe-core's browser build from node_modules (package.json's
// devDependencies; `npm ci` installs it in CI).
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		msg := "axe-core is not installed (run npm ci): " + err.Error()
		if os.Getenv("SWITCHBOARD_REQUIRE_BROWSER") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return string(b)
}

// TestBrowser_ConsoleLayoutFocusDarkAxe walks every signed-in page as an
// administrator of a console with data in it, at a phone's and a laptop's
// size and in the light and the dark colour scheme, and checks on each:
// the document is no wider than the viewport and each table row's action
// buttons are inside the visible scroll area; in the dark scheme nothing
// has a light background; axe-core finds no moderate, serious or critical
// violation; and (at laptop size) every link and button reached with Tab
// shows a focus ring. Screenshots go to /tmp/console-shots/. The pages'
// layout does not depend on the store, so this runs on SQLite only.
func TestBrowser_ConsoleLayoutFocusDarkAxe(t *testing.T) {
	axe := axeSource(t)
	browser := startBrowserWithin(t, 8*time.Minute)
	env := webtest.New(t, dbtest.Dialects[0])
	base := env.Listen()
	pages := seedConsole(t, env)

	p := newTab(t, browser, base, "console")
	// axe-core is added to every document the tab loads, so the large
	// script crosses the protocol once.
	p.do("add axe-core", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: axe})
		return chromedp.Void{}, err
	})
	ifbSignIn(t, p, "admin@example.com")
	shots := "/tmp/console-shots"
	_ = os.MkdirAll(shots, 0o755)

	for _, scheme := range []string{"light", "dark"} {
		p.do("emulate "+scheme, func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return chromedp.Void{}, err
		})
		for _, vp := range consoleViewports {
			p.do("resize to "+vp.name, func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
				_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
					Width: vp.width, Height: vp.height, DeviceScaleFactor: 1, Mobile: vp.mobile})
				return chromedp.Void{}, err
			})
			for _, pg := range pages {
				path, status := pg.path, http.StatusOK
				if pg.fresh != nil {
					path = pg.fresh() // a reveal is shown once: a new one for each visit
				}
				if pg.status != 0 {
					status = pg.status
				}
				where := fmt.Sprintf("%s %s (%s, %s)", pg.name, path, vp.name, scheme)
				p.open(where, path, status)
				for _, problem := range run(p, "layout of "+where, chromedp.Evaluate[[]string](layoutProblems)) {
					t.Errorf("%s: %s", where, problem)
				}
				if vp.name == "laptop" && pg.name == "audit" {
					if !p.truthy(`(() => { const c = document.querySelector('[data-testid="audit-table"]').parentElement; return c.scrollWidth <= c.clientWidth; })()`) {
						t.Errorf("%s: the audit table is wider than its card", where)
					}
				}
				if scheme == "dark" {
					for _, problem := range run(p, "palette of "+where, chromedp.Evaluate[[]string](lightBackgrounds)) {
						t.Errorf("%s: dark scheme: %s", where, problem)
					}
				}
				for _, v := range run(p, "axe on "+where, chromedp.Evaluate[[]string](axeRun, chromedp.EvalAwaitPromise)) {
					t.Errorf("%s: axe: %s", where, v)
				}
				if vp.name == "laptop" || scheme == "light" {
					// The phone's dark scheme only recolours what the
					// other three walks reached.
					checkFocusRings(t, p, where)
				}
				p.screenshot(filepath.Join(shots, pg.name+"-"+vp.name+"-"+scheme+".png"))
			}
		}
	}
	p.do("back to a laptop in the light scheme", func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: 800, DeviceScaleFactor: 1})
		if err != nil {
			return chromedp.Void{}, err
		}
		_, err = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}})
		return chromedp.Void{}, err
	})
	checkAuditNames(t, p)
	checkRefusedSave(t, p)
	checkDialogs(t, p, pages)
	checkThemeToggle(t, p)
	p.wantNoConsoleErrors()
}

// checkDialogs opens each confirmation that ends something and checks that
// it opens with the focus on Cancel, and that Delete wants the name typed.
func checkDialogs(t *testing.T, p *tab, pages []consolePage) {
	t.Helper()
	paths := map[string]string{}
	for _, pg := range pages {
		paths[pg.name] = pg.path
	}
	for _, d := range []struct{ page, button string }{
		{"integration", "delete"},
		{"integration", "disable"},
		{"node-key", "revoke"},
		{"tokens", "revoke-token"},
		{"user", "disable"},
	} {
		where := d.page + " " + d.button
		p.open(where, paths[d.page], 200)
		p.do("open "+where, chromedp.Click(testID(d.button)))
		p.waitFor(where+" dialog open", `(document.querySelector('dialog[data-confirm-dialog]') || {}).open === true`)
		if got := run(p, "focus in "+where, chromedp.Evaluate[string](`document.activeElement.getAttribute('data-testid') || document.activeElement.tagName`)); got != "cancel" {
			t.Errorf("%s: the dialog opens with the focus on %q, want Cancel", where, got)
		}
		if d.button == "delete" {
			if !p.truthy(`!!document.querySelector('dialog[data-confirm-dialog] [data-testid="confirm-name"]')`) {
				t.Errorf("%s: the dialog does not ask for the name", where)
			} else {
				if p.truthy(`document.querySelector('dialog[data-confirm-dialog] form').checkValidity()`) {
					t.Errorf("%s: the form may be sent without the name typed", where)
				}
				p.do("type a wrong name", chromedp.Evaluate[chromedp.Void](`document.querySelector('dialog[data-confirm-dialog] [data-testid="confirm-name"]').value = 'Production AP'`))
				if p.truthy(`document.querySelector('dialog[data-confirm-dialog] form').checkValidity()`) {
					t.Errorf("%s: a wrong name is accepted", where)
				}
				p.do("type the name", chromedp.Evaluate[chromedp.Void](`document.querySelector('dialog[data-confirm-dialog] [data-testid="confirm-name"]').value = 'Production API'`))
				if !p.truthy(`document.querySelector('dialog[data-confirm-dialog] form').checkValidity()`) {
					t.Errorf("%s: the exact name is refused (typed %q, pattern %q)", where,
						p.value(`dialog[data-confirm-dialog] [data-testid="confirm-name"]`), p.attr(`dialog[data-confirm-dialog] [data-testid="confirm-name"]`, "pattern"))
				}
			}
		}
		p.do("cancel "+where, chromedp.Click(chromedp.CSS(`dialog[data-confirm-dialog] [data-testid="cancel"]`)))
		p.waitFor(where+" dialog closed", `document.querySelector('dialog[data-confirm-dialog]') === null`)
	}
}

// checkRefusedSave sends the LaunchDarkly form (below the nine provider
// cards) without its API key and checks that the error summary is focused
// and on screen, and that each invalid field is marked and described by
// its message.
func checkRefusedSave(t *testing.T, p *tab) {
	t.Helper()
	p.open("Datadog form", "/integrations/new/launchdarkly?integrationKey=datadog", 200)
	p.do("fill the name only",
		chromedp.SetAttributeValue(chromedp.CSS("form[data-ld-form]"), "novalidate", ""),
		chromedp.SendKeys(testID("name-input"), "Refused save"),
	)
	p.follow("save without the API key", http.StatusUnprocessableEntity, chromedp.Click(testID("save")))
	p.waitFor("the error summary", `!!document.querySelector('[data-testid="form-error"]')`)
	if got := run(p, "the focus", chromedp.Evaluate[string](`document.activeElement.getAttribute('data-testid') || document.activeElement.tagName`)); got != "form-error" {
		t.Errorf("after a refused save the focus is on %q, want the error summary", got)
	}
	if !p.truthy(`(() => { const r = document.querySelector('[data-testid="form-error"]').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; })()`) {
		t.Errorf("after a refused save the error summary is not on screen")
	}
	problems := run(p, "the invalid fields", chromedp.Evaluate[[]string](`(() => {
	  const out = [];
	  const errs = document.querySelectorAll('.field-error');
	  if (!errs.length) out.push('no field error shown');
	  for (const e of errs) {
	    const f = document.querySelector('[aria-describedby~="' + e.id + '"]');
	    if (!f) { out.push('message ' + e.id + ' describes no field'); continue; }
	    if (f.getAttribute('aria-invalid') !== 'true') out.push(f.name + ' is not aria-invalid');
	  }
	  return out;
	})()`))
	for _, pr := range problems {
		t.Errorf("after a refused save: %s", pr)
	}
}

// checkAuditNames checks that the audit log names targets (with a link to
// the integration that still exists) and teams by their names.
func checkAuditNames(t *testing.T, p *tab) {
	t.Helper()
	p.open("audit log", "/audit", 200)
	links := p.texts(testIDSel("audit-target-link"))
	if !strings.Contains(links, "Production API") {
		t.Errorf("the audit log's target links are %q, want the integration's name Production API", links)
	}
	if href := p.attr(`a[data-testid="audit-target-link"][href^="/integrations/"]`, "href"); href == "" {
		t.Errorf("the integration target has no link to its page")
	}
	if teams := p.texts(`[data-testid="audit-row"] td:nth-child(3)`); !strings.Contains(teams, "Payments") || strings.Contains(teams, "payments") {
		t.Errorf("the audit log's team column reads %q, want team names (Payments), not slugs", teams)
	}
}

// checkThemeToggle switches to the dark palette with the header's toggle
// and checks that the choice outlives a reload (set before first paint by
// a script in <head> that is neither deferred nor async).
func checkThemeToggle(t *testing.T, p *tab) {
	t.Helper()
	bg := `getComputedStyle(document.documentElement).backgroundColor`
	p.open("integrations for the toggle", "/integrations", 200)
	light := run(p, "light background", chromedp.Evaluate[string](bg))
	p.do("toggle to dark", chromedp.Click(testID("theme-toggle")))
	dark := run(p, "dark background", chromedp.Evaluate[string](bg))
	if dark == light {
		t.Errorf("the theme toggle left the background at %s", light)
	}
	p.open("integrations after a reload", "/integrations", 200)
	if got := run(p, "background after a reload", chromedp.Evaluate[string](bg)); got != dark {
		t.Errorf("after a reload the background is %s, want the chosen dark %s", got, dark)
	}
	if !p.truthy(`(() => { const s = document.querySelector('head script[src="/static/js/theme.js"]'); return !!s && !s.defer && !s.async; })()`) {
		t.Errorf("theme.js is not a blocking script in <head>: the saved palette would flash")
	}
	p.do("toggle back to light", chromedp.Click(testID("theme-toggle")))
	if got := run(p, "background toggled back", chromedp.Evaluate[string](bg)); got != light {
		t.Errorf("toggling back gives background %s, want %s", got, light)
	}
}

// checkFocusRings tabs through the page and fails on a link or button that
// shows no focus ring.
func checkFocusRings(t *testing.T, p *tab, where string) {
	t.Helper()
	p.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`))
	seen := map[string]bool{}
	reached := 0
	for i := 0; i < 80; i++ {
		p.do("press Tab", chromedp.KeyEvent("\t"))
		f := run(p, "read the focus", chromedp.Evaluate[focusState](focusRing))
		if f.Tag == "" {
			break
		}
		key := f.Tag + f.Text
		if seen[key] && i > 0 {
			break
		}
		seen[key] = true
		if f.Tag == "a" || f.Tag == "button" || f.Tag == "summary" {
			reached++
			if !f.Ring {
				t.Errorf("%s: focused %s %q shows no focus ring", where, f.Tag, f.Text)
			}
		}
	}
	if reached == 0 {
		t.Errorf("%s: Tab reached no link or button", where)
	}
}

// consolePage is one page of the walk: a fixed path, or fresh (a reveal,
// used up by its one showing) for a new one on each visit; status is the
// answer wanted when it is not 200.
type consolePage struct {
	name, path string
	status     int
	fresh      func() string
}

// seedConsole fills a console with two teams, users, nodes, tokens and an
// integration, and returns the signed-in pages to walk.
func seedConsole(t *testing.T, env *webtest.Env) []consolePage {
	t.Helper()
	admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
	team := env.CreateTeam("payments")
	env.CreateTeam("growth")
	member := env.CreateUser("member-with-a-rather-long-address@example.com", sb.RoleSupport, team.Slug)
	env.CreateNode(team.ID, "edge-eu-1")
	env.CreateNode(team.ID, "edge-us-2")
	token := env.CreateToken(team.ID, false)
	env.CreateToken(team.ID, true)
	resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, map[string]any{
		"name": "Production API", "configValues": map[string]any{"apiKey": "dd-0123456789abcdef0123456789abcdef", "hostURL": "https://api.datadoghq.eu"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create the Datadog integration: %d %s", resp.StatusCode, raw)
	}
	ldID, _ := m["_id"].(string)
	ctx := context.Background()
	root := sb.Actor{Role: sb.RoleAdmin, UserID: admin.ID, Email: admin.Email}
	create := func(in integrations.Input) string {
		t.Helper()
		c, err := env.App.Services.Create(ctx, root, in, nil)
		if err != nil {
			t.Fatalf("seed an integration: %v", err)
		}
		return c.Record.ID
	}
	opID := create(&integrations.OnePasswordInput{TeamID: team.ID, Name: "Vault reader", Token: newOPToken(t).Token})
	infID := create(&integrations.AppConnectionInput{App: "1password", Method: "api-token", Name: "vault-connect", ProjectID: team.ID,
		Credentials: map[string]any{"apiToken": "connect-0123456789", "instanceUrl": "https://connect.example.com"}})
	nodes, err := env.App.Access.Nodes(ctx, root, team.ID)
	if err != nil || len(nodes) == 0 {
		t.Fatalf("list the nodes: %v", err)
	}
	nkID := create(&integrations.NodeKeyInput{TeamID: team.ID, NodeID: nodes[0].ID, Name: "Edge key", Permissions: []string{"payments.read"}})
	reveal := func() string {
		t.Helper()
		id, err := env.App.Services.CreateReveal(ctx, root, integrations.RevealPayload{Title: "Node API key Edge key", Next: "/integrations/" + nkID,
			Fields: []integrations.RevealField{
				{Label: "API key", Name: "api_key", Value: "apex_0123456789abcdef0123456789abcdef"},
				{Label: "Secret", Name: "secret", Value: "apexs_" + strings.Repeat("0123456789abcdef", 4)},
				{Label: "Service account token", Name: "token", Value: "ops_" + strings.Repeat("eyJzaWduSW5BZGRyZXNzIjoi", 12), Masked: true},
			}}, access.Event{Action: access.ActionRevealCreate, TargetType: "integration", TargetID: nkID, TeamID: team.ID})
		if err != nil {
			t.Fatalf("seed a reveal: %v", err)
		}
		return "/reveal/" + id
	}
	shown := func() string {
		t.Helper()
		path := reveal()
		if _, err := env.App.Services.Reveal(ctx, root, strings.TrimPrefix(path, "/reveal/")); err != nil {
			t.Fatalf("use up a reveal: %v", err)
		}
		return path
	}
	tokens, err := env.App.Access.Tokens(context.Background(), sb.Actor{Role: sb.RoleAdmin, Email: "test"}, team.ID)
	if err != nil || len(tokens) == 0 {
		t.Fatalf("list the tokens: %v", err)
	}
	return []consolePage{
		{name: "integrations", path: "/integrations"},
		{name: "integration-new", path: "/integrations/new"},
		{name: "node-key-new", path: "/integrations/new/node-api-key?team_id=" + team.ID},
		{name: "onepassword-new", path: "/integrations/new/1password"},
		{name: "infisical-new", path: "/integrations/new/infisical"},
		{name: "launchdarkly-new", path: "/integrations/new/launchdarkly?integrationKey=datadog"},
		{name: "integration", path: "/integrations/" + ldID},
		{name: "integration-edit", path: "/integrations/" + ldID + "/edit"},
		{name: "integration-confirm-delete", path: "/integrations/" + ldID + "/confirm/delete"},
		{name: "onepassword", path: "/integrations/" + opID},
		{name: "onepassword-edit", path: "/integrations/" + opID + "/edit"},
		{name: "infisical", path: "/integrations/" + infID},
		{name: "infisical-edit", path: "/integrations/" + infID + "/edit"},
		{name: "node-key", path: "/integrations/" + nkID},
		{name: "node-key-confirm-rotate", path: "/integrations/" + nkID + "/confirm/rotate"},
		{name: "reveal", fresh: reveal},
		{name: "reveal-gone", fresh: shown, status: http.StatusGone},
		{name: "audit", path: "/audit"},
		{name: "nodes", path: "/nodes?team=" + team.ID},
		{name: "tokens", path: "/tokens?team=" + team.ID},
		{name: "account", path: "/account"},
		{name: "two-factor", path: "/account/two-factor"},
		{name: "teams", path: "/teams"},
		{name: "team", path: "/teams/" + team.ID},
		{name: "users", path: "/users"},
		{name: "user", path: "/users/" + member.ID},
		{name: "user-confirm-disable", path: "/users/" + member.ID + "/confirm/disable"},
		{name: "token-confirm-revoke", path: "/tokens/" + tokens[0].ID + "/confirm/revoke"},
		{name: "secrets", path: "/secrets?team=" + team.ID},
		{name: "secret-syncs", path: "/secret-syncs?team=" + team.ID},
		{name: "secret-sync-new", path: "/secret-syncs/new?team=" + team.ID},
		{name: "webhooks", path: "/webhooks"},
	}
}
