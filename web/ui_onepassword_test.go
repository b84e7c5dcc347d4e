package web_test

// In-process tests of the 1Password service account pages: the form at
// /integrations/new/1password and its 422 re-render, the masked reveal,
// the detail page, the edit page that keeps the stored token when its
// field is left empty, team isolation, and a scan of every later response,
// the log, the audit rows and the database for the tokens.

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	sb "switchboard"
	"switchboard/db"
	"switchboard/integrations"
	"switchboard/secrets"
	"switchboard/web/webtest"
)

// opDoc parses a page.
func opDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return doc
}

// opTestID selects by data-testid.
func opTestID(id string) string { return `[data-testid="` + id + `"]` }

// opFormCreate submits the 1Password form and returns the reveal path.
func opFormCreate(t *testing.T, c *webtest.Client, teamID, name, token string) string {
	t.Helper()
	resp, body := c.Post("/integrations/new/1password", url.Values{"team_id": {teamID}, "name": {name}, "token": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create %q: status %d, want 303; errors %v", name, resp.StatusCode, htErrorFields(body))
	}
	loc := resp.Header.Get("Location")
	if !htRevealPathRE.MatchString(loc) {
		t.Fatalf("create %q: Location %q, want /reveal/{id}", name, loc)
	}
	return loc
}

// opRevealed opens a reveal once and returns the integration id its
// "I have stored them" link points at.
func opRevealed(t *testing.T, c *webtest.Client, revealPath string) (id, page string) {
	t.Helper()
	resp, page := c.Get(revealPath)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", revealPath, resp.StatusCode)
	}
	href, _ := opDoc(t, page).Find(opTestID("reveal-done")).Attr("href")
	id, ok := strings.CutPrefix(href, "/integrations/")
	if !ok || id == "" {
		t.Fatalf("the reveal's done link is %q, want /integrations/{id}", href)
	}
	return id, page
}

// opRow reads an integration row straight from the store.
func opRow(t *testing.T, env *webtest.Env, id string) db.Integration {
	t.Helper()
	r, err := env.Store.IntegrationByID(context.Background(), id)
	if err != nil {
		t.Fatalf("read integration %s: %v", id, err)
	}
	return r.Integration
}

// opSameRow compares what an edit may change.
func opSameRow(a, b db.Integration) bool {
	return a.Name == b.Name && a.Version == b.Version && a.Attrs == b.Attrs && bytes.Equal(a.SecretCiphertext, b.SecretCiphertext) &&
		*a.SecretKeyID == *b.SecretKeyID && a.Status == b.Status && a.TeamID == b.TeamID
}

// opNoToken fails when page carries any canary of tok.
func opNoToken(t *testing.T, where, page string, tok opToken) {
	t.Helper()
	for name, c := range tok.canaries() {
		if strings.Contains(page, c) {
			t.Errorf("%s carries the %s", where, name)
		}
	}
}

// opFlash is the text of the page's flash messages.
func opFlash(t *testing.T, page string) string {
	t.Helper()
	return strings.TrimSpace(opDoc(t, page).Find(opTestID("flash")).Text())
}

// opDetail returns the detail list of an integration page as "Label: value" lines.
func opDetail(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	opDoc(t, page).Find(opTestID("integration-details") + " > div").Each(func(_ int, s *goquery.Selection) {
		out[strings.TrimSpace(s.Find("dt").Text())] = strings.TrimSpace(s.Find("dd").Text())
	})
	return out
}

func TestOnePasswordForm_Get(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		c, _ := htSignIn(t, env, "support@example.com")
		resp, page := c.Get("/integrations/new/1password")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the form = %d, want 200", resp.StatusCode)
		}
		doc := opDoc(t, page)
		form := doc.Find(opTestID("onepassword-form"))
		if m, _ := form.Attr("method"); m != "post" {
			t.Errorf("form method = %q, want post", m)
		}
		if a, _ := form.Attr("action"); a != "/integrations/new/1password" {
			t.Errorf("form action = %q, want /integrations/new/1password", a)
		}
		tokenInput := form.Find(`input[name="token"]`)
		if typ, _ := tokenInput.Attr("type"); typ != "password" {
			t.Errorf("token input type = %q, want password", typ)
		}
		if ac, _ := tokenInput.Attr("autocomplete"); ac != "off" && ac != "new-password" {
			t.Errorf("token input autocomplete = %q, want off", ac)
		}
		if v, ok := form.Find(`select[name="team_id"] option[selected]`).Attr("value"); !ok || v != team.ID {
			t.Errorf("the support user's only team is not preselected (selected %q, want %s)", v, team.ID)
		}
		if form.Find(`input[name="_csrf"]`).Length() != 1 {
			t.Errorf("the form has no CSRF field")
		}
		// The provider chooser links to it.
		_, chooser := c.Get("/integrations/new")
		if href, _ := opDoc(t, chooser).Find(opTestID("provider-1password")).Attr("href"); href != "/integrations/new/1password" {
			t.Errorf("provider card 1password links to %q, want /integrations/new/1password", href)
		}
	})
}

// TestOnePasswordForm_PostErrors submits bad input: 422 with the error
// beside the field it concerns, the name kept, the token never written back
// into the page, and nothing stored.
func TestOnePasswordForm_PostErrors(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		b := env.CreateTeam("ledger")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		admin, _ := htSignIn(t, env, "admin@example.com")
		support, _ := htSignIn(t, env, "support@example.com")
		tok := newOPToken(t)
		truncated := tok.Token[:len(tok.Token)*2/3]
		tests := []struct {
			name      string
			c         *webtest.Client
			team      string
			intName   string
			token     string
			wantField string
			wantText  string
		}{
			{"truncated token", admin, a.ID, "Vault prod", truncated, "token", "truncated"},
			{"a Connect JWT", admin, a.ID, "Vault prod", opConnectJWT, "token", "Connect"},
			{"not base64", admin, a.ID, "Vault prod", "ops_!!" + tok.SRPX + "!!", "token", "malformed"},
			{"no ops_ prefix", admin, a.ID, "Vault prod", strings.TrimPrefix(tok.Token, "ops_"), "token", "ops_"},
			{"empty token", admin, a.ID, "Vault prod", "", "token", "required"},
			{"valid token, empty name", admin, a.ID, "", tok.Token, "name", "1–255"},
			{"valid token, name of 256", admin, a.ID, strings.Repeat("n", 256), tok.Token, "name", "1–255"},
			{"valid token, no team", admin, "", "Vault prod", tok.Token, "team_id", "team"},
			{"valid token, another team", support, b.ID, "Vault prod", tok.Token, "team_id", "team"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				resp, page := tc.c.Post("/integrations/new/1password", url.Values{"team_id": {tc.team}, "name": {tc.intName}, "token": {tc.token}})
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422", resp.StatusCode)
				}
				if got := htErrorFields(page); !slices.Equal(got, []string{tc.wantField}) {
					t.Errorf("field errors = %v, want [%s]", got, tc.wantField)
				}
				doc := opDoc(t, page)
				errEl := doc.Find(opTestID("error-" + tc.wantField))
				if !strings.Contains(errEl.Text(), tc.wantText) {
					t.Errorf("error-%s says %q, want it to say %q", tc.wantField, strings.TrimSpace(errEl.Text()), tc.wantText)
				}
				// The message sits beside its field: in the same field block.
				if field := errEl.Parent().Find(`[name="` + tc.wantField + `"]`); field.Length() != 1 {
					t.Errorf("error-%s is not next to the %s field", tc.wantField, tc.wantField)
				}
				if !htHasTestID(page, "form-error") {
					t.Errorf("no form-level alert")
				}
				if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != tc.intName {
					t.Errorf("name field = %q, want the entered %q kept", v, tc.intName)
				}
				if v, ok := doc.Find(`input[name="token"]`).Attr("value"); ok && v != "" {
					t.Errorf("the token field is filled in again (%s); a secret is never sent back", redact(v))
				}
				if tc.token != "" && strings.Contains(page, html.EscapeString(tc.token)) {
					t.Errorf("the page echoes the submitted token")
				}
				opNoToken(t, "the 422 page", page, tok)
			})
		}
		if n := htCount(t, env, "integrations"); n != 0 {
			t.Errorf("%d integrations after refused forms, want 0", n)
		}
		if n := htCount(t, env, "reveals"); n != 0 {
			t.Errorf("%d reveals after refused forms, want 0", n)
		}
	})
}

// TestOnePasswordForm_PostReveal creates a service account through the
// form: 303 to a reveal that holds the token only in the masked element's
// data-value, with its fingerprint; 410 afterwards; a detail page with the
// fingerprint and sign-in address and without the token.
func TestOnePasswordForm_PostReveal(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
		c, _ := htSignIn(t, env, "admin@example.com")
		tok := newOPToken(t)
		fp := secrets.Fingerprint(tok.Token)

		revealPath := opFormCreate(t, c, team.ID, "Vault prod", tok.Token)
		resp, page := c.Get(revealPath)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", revealPath, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("reveal Cache-Control = %q, want no-store", cc)
		}
		doc := opDoc(t, page)
		box := doc.Find(opTestID("reveal-token"))
		if box.Length() != 1 {
			t.Fatalf("the reveal has %d reveal-token elements, want 1", box.Length())
		}
		// The token is in the no-JavaScript field; app.js moves it into
		// the box's data-value (browser_onepassword_test shows it).
		if v := doc.Find(`textarea[data-reveal-nojs="#reveal-token"]`).Text(); v != tok.Token {
			t.Errorf("the reveal's read-only token field holds %s, want the token", redact(v))
		}
		mask := "••••••••••••" // a fixed-length mask: it tells nothing of the length
		if got := strings.TrimSpace(box.Text()); got != mask {
			t.Errorf("reveal-token shows %q, want the fixed mask", redact(got))
		}
		if m, _ := box.Attr("data-masked"); m != mask {
			t.Errorf("reveal-token data-masked = %q, want the asterisks", redact(m))
		}
		// The token is in the page exactly once: in that field.
		escaped := html.EscapeString(tok.Token)
		if n := strings.Count(page, escaped); n != 1 {
			t.Errorf("the token appears %d times in the reveal page, want once", n)
		}
		for name, c := range tok.canaries() {
			if name != "token" && name != "token body" && name != "token (truncated)" && strings.Contains(page, c) {
				t.Errorf("the reveal page carries the decoded %s", name)
			}
		}
		if doc.Find(`[data-toggle-secret="#reveal-token"]`).Length() != 1 {
			t.Errorf("no Show toggle for the token")
		}
		if doc.Find(opTestID("copy-token")).Length() != 1 {
			t.Errorf("no Copy button for the token")
		}
		if got := strings.TrimSpace(doc.Find(opTestID("reveal-fingerprint")).Text()); got != fp {
			t.Errorf("reveal-fingerprint = %q, want %q", got, fp)
		}
		if !htHasTestID(page, "reveal-warning") {
			t.Errorf("no reveal warning")
		}
		href, _ := doc.Find(opTestID("reveal-done")).Attr("href")
		id, _ := strings.CutPrefix(href, "/integrations/")

		// Once only.
		resp, again := c.Get(revealPath)
		if resp.StatusCode != http.StatusGone {
			t.Errorf("second GET of the reveal = %d, want 410", resp.StatusCode)
		}
		opNoToken(t, "the 410 page", again, tok)

		// The row.
		r := opRow(t, env, id)
		if r.Provider != integrations.ProviderOnePassword || r.TeamID != team.ID || r.Name != "Vault prod" || r.Version != 1 || r.CreatedByUser == nil || *r.CreatedByUser != admin.ID {
			t.Errorf("row = %s/%s/%q v%d by %v, want 1password/%s/\"Vault prod\" v1 by the admin", r.Provider, r.TeamID, r.Name, r.Version, r.CreatedByUser, team.ID)
		}
		if got := opStored(t, env, id); got != tok.Token {
			t.Errorf("the sealed token opens to something else")
		}

		// The detail page.
		resp, detail := c.Get("/integrations/" + id)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("detail page = %d, want 200", resp.StatusCode)
		}
		d := opDetail(t, detail)
		if !strings.Contains(d["Token"], fp) {
			t.Errorf("detail Token = %q, want the fingerprint %s", d["Token"], fp)
		}
		if d["Sign-in address"] != opSignIn {
			t.Errorf("detail Sign-in address = %q, want %s", d["Sign-in address"], opSignIn)
		}
		if href, _ := opDoc(t, detail).Find(opTestID("edit")).Attr("href"); href != "/integrations/"+id+"/edit" {
			t.Errorf("detail Edit link = %q, want /integrations/%s/edit", href, id)
		}
		opNoToken(t, "the detail page", detail, tok)
	})
}

// TestOnePasswordForm_Edit renames with the token field left empty (the
// sealed token stays byte for byte, version 1), refuses a bad token and an
// empty name without changing anything, then replaces the token (version 2,
// new fingerprint).
func TestOnePasswordForm_Edit(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("support@example.com", sb.RoleSupport, "payments")
		c, _ := htSignIn(t, env, "support@example.com")
		tok := newOPToken(t)
		id, _ := opRevealed(t, c, opFormCreate(t, c, team.ID, "Vault prod", tok.Token))
		orig := opRow(t, env, id)
		editPath := "/integrations/" + id + "/edit"

		// The edit page.
		resp, page := c.Get(editPath)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", editPath, resp.StatusCode)
		}
		doc := opDoc(t, page)
		if a, _ := doc.Find(opTestID("onepassword-form")).Attr("action"); a != editPath {
			t.Errorf("edit form action = %q, want %s", a, editPath)
		}
		if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "Vault prod" {
			t.Errorf("name field = %q, want the stored name", v)
		}
		tokenInput := doc.Find(`input[name="token"]`)
		if typ, _ := tokenInput.Attr("type"); typ != "password" {
			t.Errorf("token input type = %q, want password", typ)
		}
		if v, ok := tokenInput.Attr("value"); ok && v != "" {
			t.Errorf("the token field is pre-filled (%s)", redact(v))
		}
		if _, req := tokenInput.Attr("required"); req {
			t.Errorf("the token field is required on the edit page; empty must keep the stored token")
		}
		if kept := doc.Find(opTestID("token-kept")).Text(); !strings.Contains(kept, secrets.Fingerprint(tok.Token)) {
			t.Errorf("token-kept hint = %q, want the stored fingerprint", strings.TrimSpace(kept))
		}
		opNoToken(t, "the edit page", page, tok)

		// Rename, token left empty.
		resp, _ = c.Post(editPath, url.Values{"name": {"Vault renamed"}, "token": {""}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations/"+id {
			t.Fatalf("rename = %d to %q, want 303 to /integrations/%s", resp.StatusCode, resp.Header.Get("Location"), id)
		}
		_, detail := c.Get("/integrations/" + id)
		if f := opFlash(t, detail); !strings.Contains(f, "The stored token was kept") {
			t.Errorf("flash after a rename = %q, want it to say the stored token was kept", f)
		}
		renamed := opRow(t, env, id)
		if renamed.Name != "Vault renamed" {
			t.Errorf("name = %q, want %q", renamed.Name, "Vault renamed")
		}
		if renamed.Version != 1 {
			t.Errorf("version = %d after a rename, want 1", renamed.Version)
		}
		if !bytes.Equal(renamed.SecretCiphertext, orig.SecretCiphertext) || *renamed.SecretKeyID != *orig.SecretKeyID {
			t.Errorf("the stored ciphertext changed on a rename; want it byte-identical")
		}
		if renamed.Attrs != orig.Attrs {
			t.Errorf("attrs = %s, want %s unchanged", renamed.Attrs, orig.Attrs)
		}
		if got := opStored(t, env, id); got != tok.Token {
			t.Errorf("the kept token no longer opens to the original")
		}

		// Refused edits change nothing.
		newTok := newOPToken(t)
		for _, tc := range []struct {
			name, intName, token, wantField string
		}{
			{"bad token", "Should not stick", newTok.Token[:len(newTok.Token)/2], "token"},
			{"Connect JWT", "Should not stick", opConnectJWT, "token"},
			{"empty name, token kept", "", "", "name"},
			{"empty name, new token", " ", newTok.Token, "name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, page := c.Post(editPath, url.Values{"name": {tc.intName}, "token": {tc.token}})
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status = %d, want 422", resp.StatusCode)
				}
				if got := htErrorFields(page); !slices.Equal(got, []string{tc.wantField}) {
					t.Errorf("field errors = %v, want [%s]", got, tc.wantField)
				}
				doc := opDoc(t, page)
				if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != tc.intName {
					t.Errorf("name field = %q, want the entered %q kept", v, tc.intName)
				}
				if a, _ := doc.Find(opTestID("onepassword-form")).Attr("action"); a != editPath {
					t.Errorf("re-rendered form posts to %q, want %s", a, editPath)
				}
				opNoToken(t, "the 422 edit page", page, newTok)
				opNoToken(t, "the 422 edit page", page, tok)
				if got := opRow(t, env, id); !opSameRow(got, renamed) {
					t.Errorf("a refused edit changed the row: name %q v%d attrs %s", got.Name, got.Version, got.Attrs)
				}
			})
		}

		// Without the form's CSRF token an edit is refused and changes nothing.
		if resp, _ := htPostNoCSRF(c, editPath, url.Values{"name": {"Cross-site"}, "token": {newTok.Token}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("edit without a CSRF token = %d, want 403", resp.StatusCode)
		}
		if got := opRow(t, env, id); !opSameRow(got, renamed) {
			t.Errorf("an edit without a CSRF token changed the row: name %q v%d", got.Name, got.Version)
		}

		// A new token replaces the old one.
		resp, _ = c.Post(editPath, url.Values{"name": {"Vault renamed"}, "token": {newTok.Token}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("replace the token = %d, want 303", resp.StatusCode)
		}
		_, detail = c.Get("/integrations/" + id)
		if f := opFlash(t, detail); !strings.Contains(f, "version 2") {
			t.Errorf("flash after a new token = %q, want it to say version 2", f)
		}
		replaced := opRow(t, env, id)
		if replaced.Version != 2 {
			t.Errorf("version = %d after a new token, want 2", replaced.Version)
		}
		if bytes.Equal(replaced.SecretCiphertext, orig.SecretCiphertext) {
			t.Errorf("the ciphertext did not change with a new token")
		}
		if got := opStored(t, env, id); got != newTok.Token {
			t.Errorf("the sealed token does not open to the new token")
		}
		d := opDetail(t, detail)
		if newFP := secrets.Fingerprint(newTok.Token); !strings.Contains(d["Token"], newFP) || strings.Contains(detail, secrets.Fingerprint(tok.Token)) {
			t.Errorf("detail Token = %q, want the new fingerprint %s and not the old one", d["Token"], newFP)
		}
		if d["Version"] != "2" {
			t.Errorf("detail Version = %q, want 2", d["Version"])
		}
		opNoToken(t, "the detail page", detail, newTok)

		// Two updates, audited (the one with a new token as a rotation),
		// with no secret in them.
		var details []string
		env.Store.SQLX().Select(&details, env.Store.SQLX().Rebind("SELECT action || ' ' || CAST(details AS TEXT) FROM audit_events WHERE action IN ('integration.update', 'integration.rotate') AND target_id = ? ORDER BY at"), id)
		if len(details) != 2 || !strings.HasPrefix(details[0], "integration.update ") || !strings.HasPrefix(details[1], "integration.rotate ") {
			t.Errorf("audit rows %q, want an integration.update then an integration.rotate (the refused edits write none)", details)
		}
		for _, dt := range details {
			opNoToken(t, "an audit row", dt, tok)
			opNoToken(t, "an audit row", dt, newTok)
		}
	})
}

// TestOnePasswordForm_EditOtherTeam: another team's support user gets 404
// on the edit page, the edit POST and the detail page, and the row stays;
// the edit routes of a node key are 404 too.
func TestOnePasswordForm_EditOtherTeam(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a := env.CreateTeam("payments")
		env.CreateTeam("ledger")
		env.CreateUser("support-a@example.com", sb.RoleSupport, "payments")
		env.CreateUser("support-b@example.com", sb.RoleSupport, "ledger")
		ca, _ := htSignIn(t, env, "support-a@example.com")
		cb, _ := htSignIn(t, env, "support-b@example.com")
		tok := newOPToken(t)
		id, _ := opRevealed(t, ca, opFormCreate(t, ca, a.ID, "Vault prod", tok.Token))
		before := opRow(t, env, id)
		node := env.CreateNode(a.ID, "edge-1")
		keyID, _ := opRevealed(t, ca, htCreateKey(t, ca, a.ID, node.ID, "Node key"))

		other := newOPToken(t)
		for _, tc := range []struct {
			name, method, path string
			form               url.Values
		}{
			{"edit page", http.MethodGet, "/integrations/" + id + "/edit", nil},
			{"edit POST, token kept", http.MethodPost, "/integrations/" + id + "/edit", url.Values{"name": {"Hijacked"}, "token": {""}}},
			{"edit POST, new token", http.MethodPost, "/integrations/" + id + "/edit", url.Values{"name": {"Hijacked"}, "token": {other.Token}}},
			{"detail page", http.MethodGet, "/integrations/" + id, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var resp *http.Response
				var page string
				if tc.method == http.MethodGet {
					resp, page = cb.Get(tc.path)
				} else {
					resp, page = cb.Post(tc.path, tc.form)
				}
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s by another team's user = %d, want 404", tc.method, tc.path, resp.StatusCode)
				}
				if strings.Contains(page, "Vault prod") || strings.Contains(page, secrets.Fingerprint(tok.Token)) {
					t.Errorf("the 404 page tells about the other team's integration")
				}
				opNoToken(t, "the 404 page", page, tok)
			})
		}
		if got := opRow(t, env, id); !opSameRow(got, before) {
			t.Errorf("another team's user changed the row: name %q v%d", got.Name, got.Version)
		}
		// A node key has no 1Password edit page.
		if resp, _ := ca.Get("/integrations/" + keyID + "/edit"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET a node key's edit page = %d, want 404", resp.StatusCode)
		}
		if resp, _ := ca.Post("/integrations/"+keyID+"/edit", url.Values{"name": {"x"}, "token": {other.Token}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST a node key's edit page = %d, want 404", resp.StatusCode)
		}
		// The owner team's user can edit (the control).
		if resp, _ := ca.Get("/integrations/" + id + "/edit"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET the edit page by the team's own user = %d, want 200", resp.StatusCode)
		}
	})
}

// TestOnePassword_NeverLeaks creates service accounts through the API and
// the form, edits one with a new token, sends tokens in refused requests,
// then looks for every token in every later response, the log, the audit
// rows and a dump of the whole database.
func TestOnePassword_NeverLeaks(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("payments")
		env.CreateUser("admin@example.com", sb.RoleAdmin)
		apiToken := env.CreateToken(team.ID, false)
		c, _ := htSignIn(t, env, "admin@example.com")
		apiTok, formTok, editTok, refusedAPI, refusedForm := newOPToken(t), newOPToken(t), newOPToken(t), newOPToken(t), newOPToken(t)

		apiID := opCreate(t, env, apiToken, team.ID, "API vault", apiTok.Token)
		revealPath := opFormCreate(t, c, team.ID, "Form vault", formTok.Token)
		formID, _ := opRevealed(t, c, revealPath)
		if resp, _ := c.Post("/integrations/"+formID+"/edit", url.Values{"name": {"Form vault"}, "token": {editTok.Token}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit with a new token = %d, want 303", resp.StatusCode)
		}
		if resp, _ := c.Post("/integrations/"+apiID+"/edit", url.Values{"name": {"API vault renamed"}, "token": {""}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rename = %d, want 303", resp.StatusCode)
		}
		// Valid tokens in requests that are refused for another field.
		refusedBody := strings.Replace(opBody("Refused", refusedAPI.Token), `"1PASSWORD"`, `"2PASSWORD"`, 1)
		if resp, _, raw := opAPI(t, env, http.MethodPost, "/v1/integrations", opAnchorKey, apiToken, refusedBody); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("refused API create = %d, want 400; body %s", resp.StatusCode, raw)
		}
		if resp, _ := c.Post("/integrations/new/1password", url.Values{"team_id": {team.ID}, "name": {""}, "token": {refusedForm.Token}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("refused form create = %d, want 422", resp.StatusCode)
		}
		if resp, _ := c.Post("/integrations/"+apiID+"/edit", url.Values{"name": {""}, "token": {refusedForm.Token}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("refused edit = %d, want 422", resp.StatusCode)
		}

		// Every later response.
		var later strings.Builder
		for _, p := range []string{"/integrations", "/integrations/" + apiID, "/integrations/" + formID, "/integrations/" + apiID + "/edit", "/integrations/" + formID + "/edit", revealPath, "/teams/" + team.ID} {
			_, b := c.Get(p)
			later.WriteString(b)
		}
		for _, p := range []string{"/v1/integrations", "/v1/integrations/" + apiID, "/v1/integrations/" + formID} {
			for _, auth := range []opAuth{opAnchorKey, opBearer} {
				_, _, b := opAPI(t, env, http.MethodGet, p, auth, apiToken, "")
				later.WriteString(b)
			}
		}
		// Proof that the scan looks at something.
		for _, want := range []string{apiID, formID, "API vault renamed", secrets.Fingerprint(editTok.Token), `"type":"1PASSWORD"`} {
			if !strings.Contains(later.String(), want) {
				t.Fatalf("later responses do not show %q: the scan would prove nothing", want)
			}
		}
		dump := dumpDB(t, env.Store)
		var audit []string
		env.Store.SQLX().Select(&audit, "SELECT action || ' ' || CAST(details AS TEXT) FROM audit_events")
		auditText := strings.Join(audit, "\n")
		for _, want := range []string{"integration.create", "integration.rotate"} {
			if !strings.Contains(dump, want) || !strings.Contains(auditText, want) {
				t.Fatalf("no %s audit row: the scan would prove nothing", want)
			}
		}
		if !strings.Contains(env.Logs.String(), "/v1/integrations") {
			t.Fatalf("the log has no request lines: the scan would prove nothing")
		}
		toks := map[string]opToken{"API token": apiTok, "form token": formTok, "replacing token": editTok, "refused API token": refusedAPI, "refused form token": refusedForm}
		for who, tok := range toks {
			for part, c := range tok.canaries() {
				if strings.Contains(later.String(), c) {
					t.Errorf("the %s's %s appears in a later response", who, part)
				}
				if strings.Contains(env.Logs.String(), c) {
					t.Errorf("the %s's %s appears in the log", who, part)
				}
				if strings.Contains(auditText, c) {
					t.Errorf("the %s's %s appears in an audit row", who, part)
				}
				if strings.Contains(dump, c) {
					t.Errorf("the %s's %s appears in the database dump", who, part)
				}
			}
		}
		// The sealed tokens are not plain base64 of the token either.
		if regexp.MustCompile(`ops_[A-Za-z0-9+/=_-]{40,}`).MatchString(dump) {
			t.Errorf("the database dump holds something shaped like a service account token")
		}
	})
}
