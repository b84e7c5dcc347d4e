package web_test

// The smaller points of issue 13, item 14: one error wording on the forms,
// a date picker's wording for the audit filter, no rotation logged for the
// same token pasted again, capability names on the LaunchDarkly cards, and
// a selectable 1Password token on the reveal without JavaScript.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	sb "switchboard"
	"switchboard/web/webtest"
)

func TestConsoleSmall_FormWording(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("data")
		c := htSignInAdmin(t, env)
		form := ifuPGForm(team.ID, "Bad Name", ifuPGTarget(t), "pw-0123456789")
		form.Set("credentials.host", "")
		resp, body := c.Post(ifuNewPath, form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad form = %d, want 422", resp.StatusCode)
		}
		doc := ifuDoc(t, body)
		if got := strings.TrimSpace(doc.Find(ifuSel("error-credentials.host")).Text()); got != "is required" {
			t.Errorf("the empty host says %q, want \"is required\" like every other form", got)
		}
		if got := strings.TrimSpace(doc.Find(ifuSel("error-name")).Text()); !strings.HasPrefix(got, "can only contain") {
			t.Errorf("the bad name says %q, want it to start \"can only contain\"", got)
		}
		// The audit filter's dates are date pickers.
		_, body = c.Get("/audit?from=yesterday")
		got := strings.TrimSpace(opDoc(t, body).Find(opTestID("error-from")).Text())
		if !strings.Contains(got, "date and time") || strings.Contains(got, "RFC 3339") {
			t.Errorf("a bad From date says %q, want words for a date picker", got)
		}
	})
}

func TestConsoleSmall_OnePasswordSameTokenNoRotation(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("vaults")
		env.CreateUser("ops@example.com", sb.RoleSupport, "vaults")
		c, _ := htSignIn(t, env, "ops@example.com")
		tok := newOPToken(t)
		id, page := opRevealed(t, c, opFormCreate(t, c, team.ID, "Vault", tok.Token))
		// Without JavaScript the masked token is still there to select.
		nojs := opDoc(t, page).Find(opTestID("reveal-nojs-token"))
		if _, ro := nojs.Attr("readonly"); !ro || nojs.Text() != tok.Token || !strings.Contains(nojs.AttrOr("class", ""), "no-js-only") {
			t.Errorf("the reveal has no read-only no-JavaScript field with the token")
		}
		before := opRow(t, env, id)
		resp, body := c.Post("/integrations/"+id+"/edit", url.Values{"name": {"Vault"}, "token": {tok.Token}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit with the same token = %d, errors %v", resp.StatusCode, htErrorFields(body))
		}
		_, page = c.Get("/integrations/" + id)
		if f := opFlash(t, page); !strings.Contains(f, "kept") {
			t.Errorf("the flash after pasting the same token says %q, want that the token was kept", f)
		}
		if after := opRow(t, env, id); after.Version != before.Version {
			t.Errorf("pasting the same token made version %d (was %d)", after.Version, before.Version)
		}
		if n := lcAuditCount(t, env, "integration.rotate", id); n != 0 {
			t.Errorf("pasting the same token logged %d rotations, want 0", n)
		}
		// A new token is still a rotation.
		c.Post("/integrations/"+id+"/edit", url.Values{"name": {"Vault"}, "token": {newOPToken(t).Token}})
		if n := lcAuditCount(t, env, "integration.rotate", id); n != 1 {
			t.Errorf("a new token logged %d rotations, want 1", n)
		}
	})
}

func TestConsoleSmall_CapabilityNames(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateTeam("flags")
		c := htSignInAdmin(t, env)
		_, body := c.Get(ldNewPath)
		doc := opDoc(t, body)
		badge := doc.Find(`[data-testid="ld-card-datadog"] ` + opTestID("capability-auditLogEventsHook"))
		if got := strings.TrimSpace(badge.Text()); got != "Audit log events" {
			t.Errorf("the datadog card's capability reads %q, want Audit log events", got)
		}
		doc.Find(`[data-testid^="capability-"]`).Each(func(_ int, s *goquery.Selection) {
			if txt := strings.TrimSpace(s.Text()); strings.ContainsAny(txt[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				t.Errorf("a capability reads %q, an id rather than words", txt)
			}
		})
	})
}
