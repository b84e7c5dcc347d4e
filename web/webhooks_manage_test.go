package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/web/webtest"
	"switchboard/webhooks"
)

// whAuditActions lists the audit rows of target, oldest first.
func whAuditActions(t *testing.T, env *webtest.Env, target string) []string {
	t.Helper()
	var rows []string
	if err := env.Store.SQLX().Select(&rows, env.Store.SQLX().Rebind(`SELECT action FROM audit_events WHERE target_id = ? ORDER BY at, id`), target); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestWebhooks_DisableEnableDelete: on the endpoint's page an admin
// disables it (the events meanwhile are not sent, nor queued: as with
// an endpoint disabled for failing), enables it (new events go out),
// and deletes it through the shared confirmation (the no-JS confirm page
// posts to /delete); each step is an audit row of its own, and the
// deleted endpoint is 404 and gets nothing more. On SQLite and PostgreSQL.
func TestWebhooks_DisableEnableDelete(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		rcv := whNewReceiver(t)
		team := env.CreateTeam("payments")
		admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
		actor := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
		secret, ep, err := env.App.Webhooks.Create(context.Background(), actor, webhooks.Input{TeamID: team.ID, URL: rcv.srv.URL, Events: "node.create"})
		if err != nil {
			t.Fatal(err)
		}
		rcv.secret = secret
		c, _ := htSignIn(t, env, "admin@example.com")
		d := env.App.WebhookDispatcher
		page := "/webhooks/" + ep.ID

		_, html := c.Get(page)
		if !strings.Contains(html, `data-testid="webhook-disable"`) || !strings.Contains(html, `href="/webhooks/`+ep.ID+`/confirm/delete"`) {
			t.Fatalf("the endpoint page offers no Disable or Delete")
		}
		if resp, _ := c.Post(page+"/disable", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d, want 303", resp.StatusCode)
		}
		if _, html := c.Get(page); !strings.Contains(html, `data-testid="webhook-disabled-reason"`) || strings.Contains(html, `data-testid="webhook-disable"`) {
			t.Errorf("after Disable the page does not show it disabled with Enable")
		}
		env.CreateNode(team.ID, "edge-a")
		if n, _ := d.RunOnce(context.Background()); n != 0 {
			t.Errorf("a disabled endpoint got %d attempts, want 0", n)
		}
		if resp, _ := c.Post(page+"/enable", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("enable: %d, want 303", resp.StatusCode)
		}
		if n, _ := d.RunOnce(context.Background()); n != 0 {
			t.Errorf("after Enable: %d attempts for an event of the disabled time, want 0", n)
		}
		env.CreateNode(team.ID, "edge-c")
		if n, _ := d.RunOnce(context.Background()); n != 1 || len(rcv.deliveries()) != 1 {
			t.Errorf("after Enable: %d attempts, %d deliveries, want the new event's", n, len(rcv.deliveries()))
		}

		// The confirmation: a page without htmx, with Cancel and a form
		// that posts to /delete.
		resp, confirm := c.Get(page + "/confirm/delete")
		if resp.StatusCode != http.StatusOK || !strings.Contains(confirm, `data-testid="confirm-page"`) ||
			!strings.Contains(confirm, `action="/webhooks/`+ep.ID+`/delete"`) || !strings.Contains(confirm, `data-testid="cancel"`) {
			t.Fatalf("confirm delete: %d, want the shared confirmation page", resp.StatusCode)
		}
		if strings.Contains(confirm, secret) {
			t.Error("the confirmation shows the secret")
		}
		resp, _ = c.Post(page+"/delete", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/webhooks" {
			t.Fatalf("delete: %d %q, want 303 to /webhooks", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := c.Get(page); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the deleted endpoint's page: %d, want 404", resp.StatusCode)
		}
		if resp, _ := c.Post(page+"/delete", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("deleting again: %d, want 404", resp.StatusCode)
		}
		env.CreateNode(team.ID, "edge-b")
		if n, _ := d.RunOnce(context.Background()); n != 0 || len(rcv.deliveries()) != 1 {
			t.Errorf("after Delete: %d attempts, want none", n)
		}
		var left int
		if err := env.Store.SQLX().Get(&left, env.Store.SQLX().Rebind(`SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`), ep.ID); err != nil || left != 0 {
			t.Errorf("%d deliveries left of the deleted endpoint (%v), want 0", left, err)
		}
		got := strings.Join(whAuditActions(t, env, ep.ID), " ")
		if want := "webhook.create webhook.disable webhook.enable webhook.delete"; !strings.Contains(got, want) {
			t.Errorf("audit of the endpoint: %q, want %q", got, want)
		}
	})
}

// TestWebhooks_SupportSeesOwnTeams: a support user of team A sees A's
// endpoint and not B's (nor an every-team one) in the list; B's page, its
// confirmation, disable and delete are 404 and change nothing. On SQLite
// and PostgreSQL.
func TestWebhooks_SupportSeesOwnTeams(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		a, b := env.CreateTeam("alpha"), env.CreateTeam("bravo")
		admin := env.CreateUser("admin@example.com", sb.RoleAdmin)
		env.CreateUser("support@example.com", sb.RoleSupport, "alpha")
		actor := sb.Actor{UserID: admin.ID, Role: sb.RoleAdmin, Email: admin.Email}
		mk := func(team, u string) string {
			_, ep, err := env.App.Webhooks.Create(context.Background(), actor, webhooks.Input{TeamID: team, URL: u, Events: "all"})
			if err != nil {
				t.Fatal(err)
			}
			return ep.ID
		}
		own := mk(a.ID, "http://alpha.invalid/hook")
		other := mk(b.ID, "http://bravo.invalid/hook")
		every := mk("", "http://every.invalid/hook")
		c, _ := htSignIn(t, env, "support@example.com")
		_, list := c.Get("/webhooks")
		if !strings.Contains(list, "alpha.invalid") || strings.Contains(list, "bravo.invalid") || strings.Contains(list, "every.invalid") {
			t.Errorf("the support user's list: alpha %v, bravo %v, every %v; want alpha only",
				strings.Contains(list, "alpha.invalid"), strings.Contains(list, "bravo.invalid"), strings.Contains(list, "every.invalid"))
		}
		if resp, _ := c.Get("/webhooks/" + own); resp.StatusCode != http.StatusOK {
			t.Errorf("own team's endpoint: %d, want 200", resp.StatusCode)
		}
		for _, id := range []string{other, every} {
			if resp, _ := c.Get("/webhooks/" + id); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET another's endpoint: %d, want 404", resp.StatusCode)
			}
			if resp, _ := c.Get("/webhooks/" + id + "/confirm/delete"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("confirm delete of another's endpoint: %d, want 404", resp.StatusCode)
			}
			for _, act := range []string{"disable", "delete"} {
				if resp, _ := c.Post("/webhooks/"+id+"/"+act, url.Values{}); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s another's endpoint: %d, want 404", act, resp.StatusCode)
				}
			}
			ep, err := env.App.Webhooks.Get(context.Background(), actor, id)
			if err != nil || !ep.Enabled {
				t.Errorf("another's endpoint after the forged posts: %v (%v), want it there and enabled", ep, err)
			}
		}
	})
}
