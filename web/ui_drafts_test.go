package web_test

// A secret typed into a form that is refused for another field is kept
// sealed on the server for the retry (a draft bound to the user, the
// browser session and the form, used once) and never written back into the
// page: the 1Password token, an Infisical credential password and a
// LaunchDarkly secret config value (the Datadog API key).

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/web/webtest"
)

// draftOf returns the draft id a refused form carries, failing when the
// page does not say the secret field is kept.
func draftOf(t *testing.T, body, keptTestID string) string {
	t.Helper()
	doc := opDoc(t, body)
	if doc.Find(opTestID(keptTestID)).Length() != 1 {
		t.Errorf("the refused form does not say the secret is kept (%s)", keptTestID)
	}
	id, _ := doc.Find(`input[name="draft"]`).Attr("value")
	if id == "" {
		t.Fatalf("the refused form carries no draft id")
	}
	return id
}

func TestFormDraft_OnePasswordKeepsToken(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("vaults")
		env.CreateUser("ops@example.com", sb.RoleSupport, "vaults")
		c, _ := htSignIn(t, env, "ops@example.com")
		tok := newOPToken(t)
		form := url.Values{"team_id": {team.ID}, "name": {strings.Repeat("n", 300)}, "token": {tok.Token}}
		resp, body := c.Post("/integrations/new/1password", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-name") {
			t.Fatalf("a too long name = %d, errors %v; want 422 at the name", resp.StatusCode, htErrorFields(body))
		}
		opNoToken(t, "the refused form", body, tok)
		draft := draftOf(t, body, "token-draft-kept")
		if _, req := opDoc(t, body).Find(opTestID("token-input")).Attr("required"); req {
			t.Errorf("the kept token's field is still required: the browser would refuse the blank retry")
		}

		// Another session of the same user cannot use the draft.
		other, _ := htSignIn(t, env, "ops@example.com")
		resp, body = other.Post("/integrations/new/1password", url.Values{"team_id": {team.ID}, "name": {"Vault"}, "token": {""}, "draft": {draft}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-token") {
			t.Fatalf("the draft from another session = %d, errors %v; want 422 at the token", resp.StatusCode, htErrorFields(body))
		}

		// The retry with only the name fixed saves the token typed before.
		resp, body = c.Post("/integrations/new/1password", url.Values{"team_id": {team.ID}, "name": {"Vault"}, "token": {""}, "draft": {draft}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the retry = %d, errors %v; want 303 to the reveal", resp.StatusCode, htErrorFields(body))
		}
		_, page := c.Get(resp.Header.Get("Location"))
		if !strings.Contains(page, tok.Token) {
			t.Errorf("the reveal does not carry the token typed before the refused save")
		}
		// Used once.
		resp, body = c.Post("/integrations/new/1password", url.Values{"team_id": {team.ID}, "name": {"Vault 2"}, "token": {""}, "draft": {draft}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-token") {
			t.Errorf("a used draft = %d, errors %v; want 422 at the token", resp.StatusCode, htErrorFields(body))
		}
		htNoSecretAnywhere(t, env, tok.Token)
	})
}

func TestFormDraft_InfisicalKeepsPassword(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("data")
		c := htSignInAdmin(t, env)
		password := "pg-draft-canary-7f3a91"
		form := ifuPGForm(team.ID, "orders", ifuPGTarget(t), password)
		form.Set("credentials.port", "not-a-port")
		resp, body := c.Post(ifuNewPath, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-credentials.port") {
			t.Fatalf("a bad port = %d, errors %v; want 422 at the port", resp.StatusCode, ifuErrorFields(body))
		}
		ifuNoSecret(t, "the refused form", body, password)
		draft := draftOf(t, body, "draft-kept-password")
		form.Set("credentials.port", ifuPGTarget(t).port)
		form.Set("credentials.password", "")
		form.Set("draft", draft)
		id := ifuCreateID(t, c, form)
		if _, creds := ifuStored(t, env, id); creds["password"] != password {
			t.Errorf("the stored password is not the one typed before the refused save")
		}
		htNoSecretAnywhere(t, env, password)
	})
}

func TestFormDraft_LaunchDarklyKeepsSecretValue(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		c := htSignInAdmin(t, env)
		secret := "dd-draft-canary-0123456789abcdef"
		form := url.Values{"integrationKey": {"datadog"}, "team_id": {team.ID}, "name": {"Audit events"}, "tags": {"bad tag!"},
			"enabled": {"false", "true"}, "configValues.apiKey": {secret}, "configValues.hostURL": {"https://api.datadoghq.eu"},
			"configValues.hideMemberDetails": {"false"}}
		resp, body := c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-tags") {
			t.Fatalf("a bad tag = %d, errors %v; want 422 at the tags", resp.StatusCode, ldFormErrors(body))
		}
		if strings.Contains(body, secret) {
			t.Errorf("the refused form carries the API key")
		}
		form.Set("draft", draftOf(t, body, "draft-kept-apiKey"))
		form.Set("tags", "prod")
		form.Set("configValues.apiKey", "")
		resp, body = c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/reveal/") {
			t.Fatalf("the retry = %d, errors %v; want 303 to the reveal", resp.StatusCode, ldFormErrors(body))
		}
		if _, page := c.Get(resp.Header.Get("Location")); !strings.Contains(page, secret) {
			t.Errorf("the reveal does not carry the API key typed before the refused save")
		}
		htNoSecretAnywhere(t, env, secret)
	})
}

// deleteForm is the form a delete confirmation posts: the integration's
// name, typed to confirm.
func deleteForm(t *testing.T, env *webtest.Env, id string) url.Values {
	t.Helper()
	r, err := env.Store.IntegrationByID(context.Background(), id)
	if err != nil {
		t.Fatalf("read integration %s: %v", id, err)
	}
	return url.Values{"confirm_name": {r.Name}}
}

// TestIntegrationDelete_TypedName: the no-JavaScript confirmation page asks
// for the name, and the server refuses a delete posted without the exact
// name (a form error, nothing deleted), whatever the browser checked.
func TestIntegrationDelete_TypedName(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("vaults")
		c := htSignInAdmin(t, env)
		id, _ := opRevealed(t, c, opFormCreate(t, c, team.ID, "Prod vault", newOPToken(t).Token))
		_, page := c.Get("/integrations/" + id + "/confirm/delete")
		if !htHasTestID(page, "confirm-page") || !htHasTestID(page, "confirm-name") {
			t.Fatalf("the confirmation page does not ask for the name")
		}
		for _, typed := range []string{"", "Prod vaul", "prod vault"} {
			resp, body := c.Post("/integrations/"+id+"/delete", url.Values{"confirm_name": {typed}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-confirm_name") || !htHasTestID(body, "confirm-page") {
				t.Errorf("delete with the name typed as %q = %d; want 422 with the error at the name", typed, resp.StatusCode)
			}
			if !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("delete with %q: the name field is not marked invalid", typed)
			}
			if resp, _ := c.Get("/integrations/" + id); resp.StatusCode != http.StatusOK {
				t.Fatalf("after a delete with %q the integration is gone (%d)", typed, resp.StatusCode)
			}
		}
		resp, _ := c.Post("/integrations/"+id+"/delete", url.Values{"confirm_name": {"Prod vault"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete with the name = %d, want 303", resp.StatusCode)
		}
		if resp, _ := c.Get("/integrations/" + id); resp.StatusCode != http.StatusNotFound {
			t.Errorf("after the delete the page = %d, want 404", resp.StatusCode)
		}
	})
}
