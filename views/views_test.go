package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func renderDoc(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestNodeKeyFormFragment(t *testing.T) {
	f := NodeKeyForm{
		CSRF: "tok", TeamID: "t1", NodeID: "n2", Name: "<b>x</b>",
		Teams:       []Option{{"t1", "Payments"}, {"t2", "Ops"}},
		Nodes:       []Option{{"n1", "edge-1"}, {"n2", "edge-2"}},
		Permissions: []PermissionOption{{Name: "payments.read", Checked: true}, {Name: "payouts.read"}},
		Errors:      Errors{"name": "must be 1–255 characters"},
	}
	doc := renderDoc(t, NodeKeyFormFragment(f))
	if got := doc.Find(`[data-testid="error-name"]`).Text(); got != "must be 1–255 characters" {
		t.Errorf("name error = %q", got)
	}
	if doc.Find(`[data-testid="error-node_id"]`).Length() != 0 {
		t.Errorf("an error is shown for node_id, which has none")
	}
	if v, _ := doc.Find(`[data-testid="name-input"]`).Attr("value"); v != "<b>x</b>" {
		t.Errorf("entered name not kept: %q", v)
	}
	if !doc.Find(`[data-testid="name-input"]`).HasClass("input-error") {
		t.Errorf("name input not marked as in error")
	}
	if v, _ := doc.Find(`#team_id option[selected]`).Attr("value"); v != "t1" {
		t.Errorf("selected team = %q, want t1", v)
	}
	if v, _ := doc.Find(`#node_id option[selected]`).Attr("value"); v != "n2" {
		t.Errorf("selected node = %q, want n2", v)
	}
	if _, ok := doc.Find(`[data-testid="perm-payments.read"]`).Attr("checked"); !ok {
		t.Errorf("ticked permission not kept")
	}
	if _, ok := doc.Find(`[data-testid="perm-payouts.read"]`).Attr("checked"); ok {
		t.Errorf("unticked permission shown ticked")
	}
	if v, _ := doc.Find(`input[name="_csrf"]`).Attr("value"); v != "tok" {
		t.Errorf("CSRF field = %q", v)
	}
	form := doc.Find("form")
	if m, _ := form.Attr("method"); m != "post" {
		t.Errorf("form method = %q, want post (works without JavaScript)", m)
	}
	if a, _ := form.Attr("action"); a != "/integrations/new/node-api-key" {
		t.Errorf("form action = %q", a)
	}
}

func TestNodeField_States(t *testing.T) {
	tests := []struct {
		name     string
		f        NodeKeyForm
		disabled bool
		text     string
	}{
		{"no team", NodeKeyForm{}, true, "Choose a team first"},
		{"team without nodes", NodeKeyForm{TeamID: "t"}, true, "This team has no nodes"},
		{"team with nodes", NodeKeyForm{TeamID: "t", Nodes: []Option{{"n", "edge"}}}, false, "edge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := renderDoc(t, NodeField(tt.f))
			sel := doc.Find(`[data-testid="node-select"]`)
			if _, dis := sel.Attr("disabled"); dis != tt.disabled {
				t.Errorf("disabled = %v, want %v", dis, tt.disabled)
			}
			if !strings.Contains(sel.Text(), tt.text) {
				t.Errorf("select text %q lacks %q", sel.Text(), tt.text)
			}
		})
	}
}

func TestReveal(t *testing.T) {
	doc := renderDoc(t, Reveal(RevealView{Title: "Key", Next: "/integrations/x", Fields: []RevealField{
		{Label: "API key", Name: "api_key", Value: "apex_abc"},
		{Label: "Token", Name: "token", Value: "ops_secret", Masked: true},
	}}))
	if got := doc.Find(`[data-testid="reveal-api_key"]`).Text(); got != "apex_abc" {
		t.Errorf("generated value = %q, want it in full", got)
	}
	masked := doc.Find(`[data-testid="reveal-token"]`)
	if masked.Text() != "••••••••••••" {
		t.Errorf("masked value text = %q, want it masked", masked.Text())
	}
	// The secret is in the page once: in the read-only no-JavaScript field
	// that app.js moves into the masked box for Show and Copy.
	nojs := doc.Find(`[data-testid="reveal-nojs-token"]`)
	if nojs.Text() != "ops_secret" {
		t.Errorf("no-JS field = %q, want the secret to select", nojs.Text())
	}
	if _, ro := nojs.Attr("readonly"); !ro {
		t.Errorf("no-JS field is not read-only")
	}
	if target, _ := nojs.Attr("data-reveal-nojs"); target != "#reveal-token" {
		t.Errorf("no-JS field points app.js at %q, want #reveal-token", target)
	}
	if html, _ := doc.Html(); strings.Count(html, "ops_secret") != 1 {
		t.Errorf("the secret is in the page %d times, want once", strings.Count(html, "ops_secret"))
	}
	if doc.Find(`[data-testid="copy-api_key"]`).Length() != 1 || doc.Find(`[data-testid="reveal-warning"]`).Length() != 1 {
		t.Errorf("copy button or warning missing")
	}
}

func TestLayout_Nav(t *testing.T) {
	body := templ.Raw("<p>hi</p>")
	admin := renderDoc(t, Layout(Page{Title: "T", Viewer: &Viewer{Email: "a@x", Admin: true}, Flash: []Flash{{"success", "Saved"}}}, body))
	if admin.Find(`[data-testid="nav"] a[href="/teams"]`).Length() != 1 {
		t.Errorf("admin nav lacks Teams")
	}
	if got := admin.Find(`[data-testid="flash"]`).Text(); got != "Saved" {
		t.Errorf("flash = %q", got)
	}
	support := renderDoc(t, Layout(Page{Title: "T", Viewer: &Viewer{Email: "s@x"}}, body))
	if support.Find(`a[href="/teams"]`).Length() != 0 {
		t.Errorf("support nav shows Teams")
	}
	anon := renderDoc(t, Layout(Page{Title: "T"}, body))
	if anon.Find(`[data-testid="nav"]`).Length() != 0 || anon.Find(`[data-testid="sign-out"]`).Length() != 0 {
		t.Errorf("anonymous page shows navigation")
	}
}
