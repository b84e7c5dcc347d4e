package web_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one browser step, so that a missing element fails the
// step with its name rather than the whole test at its deadline.
const stepTimeout = 15 * time.Second

// tab is one browser tab in a browser context of its own (its own cookies),
// with steps that fail the test with the step's name, the page's address
// and a screenshot of what the browser showed.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	name string

	mu      sync.Mutex
	console []string // console errors and uncaught exceptions
}

func newTab(t *testing.T, browser context.Context, base, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &tab{t: t, ctx: ctx, base: base, name: name}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a browser tab: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				p.mu.Lock()
				p.console = append(p.console, m.URL+": "+m.String())
				p.mu.Unlock()
			}
		}
	}()
	return p
}

func testIDSel(id string) string { return `[data-testid="` + id + `"]` }

func testID(id string) chromedp.CSS { return chromedp.CSS(testIDSel(id)) }

func (p *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, stepTimeout)
}

// fail ends the test with what failed, where the browser was and a screenshot.
func (p *tab) fail(what string, err error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	shot := "/tmp/switchboard-failure-" + p.name + ".png"
	if buf, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil && os.WriteFile(shot, buf, 0o644) == nil {
		where += " (screenshot " + shot + ")"
	}
	p.t.Fatalf("%s: %v; browser at %s", what, err, where)
}

func (p *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

// try runs steps with a short timeout and returns their error, for a step
// whose failure the test reports and then works around.
func (p *tab) try(timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// tryFollow is follow with a short timeout that returns the error.
func (p *tab) tryFollow(timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) (*network.Response, error) {
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	return chromedp.RunResponse(ctx, steps...)
}

// open navigates to a path of the app and checks the final status.
func (p *tab) open(what, path string, wantStatus int) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.base+path))
	if err != nil {
		p.fail(what, err)
	}
	if resp.Status != int64(wantStatus) {
		p.fail(what, fmt.Errorf("status %d %s, want %d", resp.Status, resp.StatusText, wantStatus))
	}
}

// follow runs steps that load a new page (a click that submits or follows a
// link, a reload) and returns the page's response, whose status must be
// wantStatus unless that is 0.
func (p *tab) follow(what string, wantStatus int, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		p.fail(what, err)
	}
	if wantStatus != 0 && resp.Status != int64(wantStatus) {
		p.fail(what, fmt.Errorf("status %d %s, want %d", resp.Status, resp.StatusText, wantStatus))
	}
	return resp
}

func run[T any](p *tab, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.fail(what, err)
	}
	return v
}

var spaces = regexp.MustCompile(`\s+`)

// text is the element's visible text, with white space collapsed.
func (p *tab) text(sel string) string {
	p.t.Helper()
	return strings.TrimSpace(spaces.ReplaceAllString(run(p, "read "+sel, chromedp.Text(chromedp.CSS(sel))), " "))
}

// texts is the text of every element that matches sel now, joined by " | ".
func (p *tab) texts(sel string) string {
	p.t.Helper()
	all := run(p, "read every "+sel, chromedp.Evaluate[[]string](
		fmt.Sprintf("Array.from(document.querySelectorAll(%q), e => e.innerText.trim())", sel)))
	return strings.Join(all, " | ")
}

// validationMessages lists the browser's complaints about the page's form
// fields, as the bubble on a refused submit shows them.
func (p *tab) validationMessages() string {
	p.t.Helper()
	all := run(p, "read validation messages", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('input, select, textarea'), e => e.validationMessage ? (e.name + ': ' + e.validationMessage) : '').filter(Boolean)`))
	return strings.Join(all, "; ")
}

// wantText waits for sel and checks that its text contains want (or, for
// an empty want, is not empty).
func (p *tab) wantText(what, sel, want string) {
	p.t.Helper()
	got := p.text(sel)
	if (want == "" && got == "") || !strings.Contains(got, want) {
		p.fail(what, fmt.Errorf("%s shows %q, want %q", sel, got, want))
	}
}

func (p *tab) value(sel string) string {
	p.t.Helper()
	return run(p, "read the value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

func (p *tab) attr(sel, name string) string {
	p.t.Helper()
	return run(p, "read "+sel+" "+name, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

func (p *tab) checked(id string) bool {
	p.t.Helper()
	return run(p, "read checkbox "+id, chromedp.JavascriptAttribute[bool](testID(id), "checked"))
}

func (p *tab) truthy(expr string) bool {
	p.t.Helper()
	return run(p, expr, chromedp.Evaluate[bool](expr))
}

// count is the number of elements that match sel now (no waiting).
func (p *tab) count(sel string) int {
	p.t.Helper()
	return run(p, "count "+sel, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
}

// waitFor waits until the JavaScript expression is true.
func (p *tab) waitFor(what, expr string) {
	p.t.Helper()
	p.do(what, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	})
}

func (p *tab) location() string {
	p.t.Helper()
	return run(p, "read the address", chromedp.Location())
}

func (p *tab) path() string {
	p.t.Helper()
	loc := p.location()
	u, err := url.Parse(loc)
	if err != nil {
		p.fail("parse the address", err)
	}
	return u.Path
}

func (p *tab) wantPath(what, want string) {
	p.t.Helper()
	if got := p.path(); got != want {
		p.fail(what, fmt.Errorf("at %s, want path %s", p.location(), want))
	}
}

// queryParam reads key from the query of sel's href.
func (p *tab) queryParam(what, sel, key string) string {
	p.t.Helper()
	href := p.attr(sel, "href")
	u, err := url.Parse(href)
	if err != nil || u.Query().Get(key) == "" {
		p.fail(what, fmt.Errorf("href %q has no %s", href, key))
	}
	return u.Query().Get(key)
}

func (p *tab) html() string {
	p.t.Helper()
	return run(p, "read the page", chromedp.OuterHTML(chromedp.CSS("html")))
}

// rowWith returns the text of the integrations row that mentions name.
func (p *tab) rowWith(name string) string {
	p.t.Helper()
	rows := run(p, "read the integrations rows", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('[data-testid="integration-row"]'), r => r.innerText)`))
	for _, r := range rows {
		if r = strings.TrimSpace(spaces.ReplaceAllString(r, " ")); strings.Contains(r, name) {
			return r
		}
	}
	p.fail("find "+name+" in the integrations list", fmt.Errorf("no row mentions it; rows: %q", rows))
	return ""
}

// wantInPlace checks that the page was not reloaded since the marker was set.
func (p *tab) wantInPlace(what string) {
	p.t.Helper()
	if !p.truthy(`window.switchboardNoReload === true`) {
		p.fail(what, fmt.Errorf("the page was reloaded; want htmx to update it in place"))
	}
}

func (p *tab) screenshot(path string) {
	p.t.Helper()
	buf := run(p, "screenshot "+path, chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// expectedStatus matches the console's note on the error statuses the test
// causes on purpose: a wrong password, the reveal's 410 and the form's 422.
var expectedStatus = regexp.MustCompile(`Failed to load resource: the server responded with a status of (401|410|422)\b`)

// wantNoConsoleErrors fails on JavaScript exceptions and console errors
// (a CSP violation shows up there) other than the expected statuses.
func (p *tab) wantNoConsoleErrors() {
	p.t.Helper()
	time.Sleep(100 * time.Millisecond) // let the console subscription catch up
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		// No favicon is served; Chromium asks for one on every page.
		if !expectedStatus.MatchString(m) && !strings.Contains(m, "/favicon.ico") {
			p.t.Errorf("browser console: %s", m)
		}
	}
}

// redact shortens a secret for a failure message.
func redact(s string) string {
	if len(s) > 10 {
		return s[:10] + "…"
	}
	return s
}
