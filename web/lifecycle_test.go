package web_test

// The lifecycle of an integration after its creation, on the detail page
// (each action asks first: a page without JavaScript, a dialog with htmx)
// and through the JSON families: disable, enable, rotate, revoke, delete.
// Every action leaves exactly one audit row. On SQLite and PostgreSQL.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
	"switchboard/web/webtest"
)

// lcAuditCount counts the audit rows of an action on a target.
func lcAuditCount(t *testing.T, env *webtest.Env, action, targetID string) int {
	t.Helper()
	var n int
	if err := env.Store.SQLX().Get(&n, env.Store.SQLX().Rebind("SELECT COUNT(*) FROM audit_events WHERE action = ? AND target_id = ?"), action, targetID); err != nil {
		t.Fatal(err)
	}
	return n
}

// lcFixtures makes one integration of every provider in team and returns
// their ids by provider.
func lcFixtures(t *testing.T, env *webtest.Env, teamID, token string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	node := env.CreateNode(teamID, "edge-"+uuid.NewString()[:6])
	resp, m, raw := env.API(http.MethodPost, "/api/v1/integrations", token, map[string]any{"node_id": node.ID, "name": "Edge key"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("node key: %d %s", resp.StatusCode, raw)
	}
	ids[integrations.ProviderNodeKey] = m["id"].(string)
	ids[integrations.ProviderOnePassword] = opCreate(t, env, token, teamID, "Vault reader", newOPToken(t).Token)
	resp, m, raw = env.API(http.MethodPost, "/api/v1/app-connections/1password", token, map[string]any{
		"name": "vault-" + uuid.NewString()[:6], "method": "api-token", "projectId": teamID,
		"credentials": map[string]any{"apiToken": "connect-token-0123456789", "instanceUrl": "https://1pass.example.com"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("infisical: %d %s", resp.StatusCode, raw)
	}
	ids[integrations.ProviderInfisical] = m["appConnection"].(map[string]any)["id"].(string)
	resp, m, raw = ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, map[string]any{"name": "Audit", "configValues": map[string]any{"apiKey": "dd-0123456789abcdef"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("launchdarkly: %d %s", resp.StatusCode, raw)
	}
	ids[integrations.ProviderLaunchDarkly] = m["_id"].(string)
	return ids
}

func lcStatus(t *testing.T, env *webtest.Env, id string) string {
	t.Helper()
	r, err := env.Store.IntegrationByID(context.Background(), id)
	if err != nil {
		t.Fatalf("integration %s: %v", id, err)
	}
	return r.Status
}

func TestLifecycleUI_EveryProvider(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		other := env.CreateTeam("other")
		token := env.CreateToken(team.ID, false)
		ids := lcFixtures(t, env, team.ID, token)
		c := htSignInAdmin(t, env)
		env.CreateUser("outsider@example.com", sb.RoleSupport, other.Slug)
		outsider, _ := htSignIn(t, env, "outsider@example.com")
		for provider, id := range ids {
			t.Run(provider, func(t *testing.T) {
				detail := "/integrations/" + id
				_, body := c.Get(detail)
				for _, a := range []string{"disable", "revoke", "delete"} {
					if !strings.Contains(body, `href="`+detail+`/confirm/`+a+`"`) || !strings.Contains(body, `hx-get="`+detail+`/confirm/`+a+`"`) {
						t.Errorf("the detail page has no %s button asking first", a)
					}
				}
				if strings.Contains(body, "/confirm/enable") {
					t.Errorf("an active integration offers enable")
				}
				// Without JavaScript: a confirmation page posting to the action.
				resp, page := c.Get(detail + "/confirm/disable")
				if resp.StatusCode != http.StatusOK || !htHasTestID(page, "confirm-page") || !strings.Contains(page, `action="`+detail+`/disable"`) {
					t.Fatalf("confirm page = %d, want a page with a form posting to disable", resp.StatusCode)
				}
				// With htmx: the dialog alone.
				c.Header.Set("HX-Request", "true")
				_, dialog := c.Get(detail + "/confirm/delete")
				c.Header.Del("HX-Request")
				if !strings.HasPrefix(strings.TrimSpace(dialog), "<dialog") || !strings.Contains(dialog, `action="`+detail+`/delete"`) {
					t.Errorf("htmx confirm = %.100s, want the dialog alone", dialog)
				}
				if resp, _ := c.Get(detail + "/confirm/enable"); resp.StatusCode != http.StatusNotFound {
					t.Errorf("confirm enable on an active integration = %d, want 404", resp.StatusCode)
				}
				if resp, _ := c.Get(detail + "/confirm/explode"); resp.StatusCode != http.StatusNotFound {
					t.Errorf("confirm of an unknown action = %d, want 404", resp.StatusCode)
				}
				// Another team's support user: 404 everywhere, nothing changes.
				for _, p := range []string{"/confirm/disable", "/confirm/delete"} {
					if resp, _ := outsider.Get(detail + p); resp.StatusCode != http.StatusNotFound {
						t.Errorf("outsider GET %s = %d, want 404", p, resp.StatusCode)
					}
				}
				for _, a := range []string{"disable", "enable", "rotate", "delete"} {
					if resp, _ := outsider.Post(detail+"/"+a, nil); resp.StatusCode != http.StatusNotFound {
						t.Errorf("outsider POST %s = %d, want 404", a, resp.StatusCode)
					}
				}
				if got := lcStatus(t, env, id); got != "active" {
					t.Fatalf("status after the outsider = %s, want active", got)
				}
				// Disable, twice: one audit row.
				for range 2 {
					if resp, _ := c.Post(detail+"/disable", nil); resp.StatusCode != http.StatusSeeOther {
						t.Fatalf("disable = %d", resp.StatusCode)
					}
				}
				if got := lcStatus(t, env, id); got != "disabled" {
					t.Errorf("status = %s, want disabled", got)
				}
				if n := lcAuditCount(t, env, "integration.disable", id); n != 1 {
					t.Errorf("%d integration.disable rows, want 1", n)
				}
				_, body = c.Get(detail)
				if !strings.Contains(body, "/confirm/enable") || strings.Contains(body, "/confirm/disable") || !strings.Contains(body, ">disabled<") {
					t.Errorf("a disabled integration's page: want enable offered and the disabled status")
				}
				c.Post(detail+"/enable", nil)
				if got := lcStatus(t, env, id); got != "active" || lcAuditCount(t, env, "integration.enable", id) != 1 {
					t.Errorf("after enable: status %s, %d enable rows", got, lcAuditCount(t, env, "integration.enable", id))
				}
				// Delete: gone, one audit row.
				resp, _ = c.Post(detail+"/delete", deleteForm(t, env, id))
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/integrations" {
					t.Fatalf("delete = %d %s", resp.StatusCode, resp.Header.Get("Location"))
				}
				if resp, _ := c.Get(detail); resp.StatusCode != http.StatusNotFound {
					t.Errorf("after delete the page = %d, want 404", resp.StatusCode)
				}
				if n := lcAuditCount(t, env, "integration.delete", id); n != 1 {
					t.Errorf("%d integration.delete rows, want 1", n)
				}
			})
		}
	})
}

func TestLifecycle_NodeKeyRotate(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("edge")
		token := env.CreateToken(team.ID, false)
		readOnly := env.CreateToken(team.ID, true)
		ids := lcFixtures(t, env, team.ID, token)
		id := ids[integrations.ProviderNodeKey]
		old, _ := env.Store.IntegrationByID(context.Background(), id)
		c := htSignInAdmin(t, env)
		if _, body := c.Get("/integrations/" + id); !strings.Contains(body, "/confirm/rotate") {
			t.Fatalf("a node key's page offers no rotation")
		}
		// The browser: a new key and secret on the reveal screen, once.
		resp, _ := c.Post("/integrations/"+id+"/rotate", nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/reveal/") {
			t.Fatalf("rotate = %d %s, want 303 to the reveal", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, reveal := c.Get(resp.Header.Get("Location"))
		if !strings.Contains(reveal, "apexs_") || !strings.Contains(reveal, "apex_") {
			t.Errorf("the reveal lacks the new key and secret")
		}
		if got := lcStatus(t, env, id); got != "revoked" {
			t.Errorf("the old key is %s, want revoked", got)
		}
		rows, _ := env.App.Services.List(context.Background(), sb.Actor{Role: sb.RoleAdmin}, integrations.ListFilter{Provider: integrations.ProviderNodeKey})
		var live []string
		for _, r := range rows {
			if r.Status == "active" {
				live = append(live, r.ID)
				k, _, _ := integrations.NodeKeyOf(r)
				if oldKey := htNodeKey(t, env, old.ID); k.APIKey == oldKey.APIKey {
					t.Errorf("the rotated key kept the old API key")
				}
			}
		}
		if len(live) != 1 {
			t.Fatalf("%d live keys for the node after a rotation, want 1", len(live))
		}
		if n := lcAuditCount(t, env, "integration.rotate", live[0]); n != 1 {
			t.Errorf("%d integration.rotate rows, want 1", n)
		}
		// The API: 201 with the new secret once; the old one revoked.
		resp2, m, raw := env.API(http.MethodPost, "/api/v1/integrations/"+live[0]+"/rotate", readOnly, nil)
		htAPIError(t, resp2, m, raw, http.StatusForbidden, "forbidden")
		resp2, m, raw = env.API(http.MethodPost, "/api/v1/integrations/"+live[0]+"/rotate", token, nil)
		if resp2.StatusCode != http.StatusCreated || !strings.HasPrefix(m["secret"].(string), "apexs_") || m["status"] != "active" {
			t.Fatalf("API rotate = %d %s", resp2.StatusCode, raw)
		}
		_, got, _ := env.API(http.MethodGet, "/api/v1/integrations/"+live[0], token, nil)
		if got["status"] != "revoked" || got["secret"] != nil {
			t.Errorf("the key rotated away: %v, want revoked without a secret", got)
		}
		resp2, m, raw = env.API(http.MethodPost, "/api/v1/integrations/"+live[0]+"/rotate", token, nil)
		htAPIError(t, resp2, m, raw, http.StatusConflict, "conflict")
		// Disable and enable through the family.
		id2 := ""
		rows, _ = env.App.Services.List(context.Background(), sb.Actor{Role: sb.RoleAdmin}, integrations.ListFilter{Provider: integrations.ProviderNodeKey})
		for _, r := range rows {
			if r.Status == "active" {
				id2 = r.ID
			}
		}
		resp2, m, raw = env.API(http.MethodPost, "/api/v1/integrations/"+id2+"/disable", token, nil)
		if resp2.StatusCode != http.StatusOK || m["status"] != "disabled" {
			t.Errorf("API disable = %d %s", resp2.StatusCode, raw)
		}
		resp2, m, raw = env.API(http.MethodPost, "/api/v1/integrations/"+id2+"/enable", token, nil)
		if resp2.StatusCode != http.StatusOK || m["status"] != "active" {
			t.Errorf("API enable = %d %s", resp2.StatusCode, raw)
		}
		// Another family's id is not a node key.
		resp2, m, raw = env.API(http.MethodPost, "/api/v1/integrations/"+ids[integrations.ProviderOnePassword]+"/disable", token, nil)
		htAPIError(t, resp2, m, raw, http.StatusNotFound, "not_found")
	})
}

func TestLifecycleAPI_OtherFamilies(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		other := env.CreateTeam("other")
		token := env.CreateToken(team.ID, false)
		readOnly := env.CreateToken(team.ID, true)
		otherToken := env.CreateToken(other.ID, false)
		ids := lcFixtures(t, env, team.ID, token)

		// Anchor: disable, enable, rotate the token (version 2).
		op := ids[integrations.ProviderOnePassword]
		resp, m, raw := opAPI(t, env, http.MethodPost, "/v1/integrations/"+op+"/disable", opBearer, token, "")
		if resp.StatusCode != http.StatusOK || m["data"].(map[string]any)["status"] != "disabled" {
			t.Errorf("anchor disable = %d %s", resp.StatusCode, raw)
		}
		opItem(t, m["data"].(map[string]any)["integration"], "Vault reader", team.ID)
		resp, m, raw = opAPI(t, env, http.MethodPost, "/v1/integrations/"+op+"/enable", opAnchorKey, token, "")
		if resp.StatusCode != http.StatusOK || m["data"].(map[string]any)["status"] != "active" {
			t.Errorf("anchor enable = %d %s", resp.StatusCode, raw)
		}
		fresh := newOPToken(t)
		rot := `{"credentials":{"type":"serviceAccount","data":{"serviceAccount":"` + fresh.Token + `"}}}`
		resp, m, raw = opAPI(t, env, http.MethodPost, "/v1/integrations/"+op+"/rotate", opBearer, readOnly, rot)
		opAnchorError(t, resp, m, raw, http.StatusForbidden)
		resp, m, raw = opAPI(t, env, http.MethodPost, "/v1/integrations/"+op+"/rotate", opBearer, token, `{"credentials":{"type":"serviceAccount","data":{"serviceAccount":"nope"}}}`)
		if msg := opAnchorError(t, resp, m, raw, http.StatusBadRequest); !strings.Contains(msg, "credentials.data.serviceAccount") {
			t.Errorf("bad rotate message %q", msg)
		}
		resp, m, raw = opAPI(t, env, http.MethodPost, "/v1/integrations/"+op+"/rotate", opBearer, token, `{"credentials":{"type":"serviceAccount","data":{"serviceAccount":"  "}}}`)
		if msg := opAnchorError(t, resp, m, raw, http.StatusBadRequest); !strings.Contains(msg, "credentials.data.serviceAccount") {
			t.Errorf("blank rotate message %q", msg)
		}
		resp, m, raw = opAPI(t, env, http.MethodPost, "/v1/integrations/"+op+"/rotate", opBearer, token, rot)
		if resp.StatusCode != http.StatusOK || m["data"].(map[string]any)["version"] != float64(2) {
			t.Errorf("anchor rotate = %d %s", resp.StatusCode, raw)
		}
		if strings.Contains(raw, fresh.Token) {
			t.Errorf("the rotate answer carries the token")
		}
		if n := lcAuditCount(t, env, "integration.rotate", op); n != 1 {
			t.Errorf("%d integration.rotate rows for the 1Password rotation, want 1", n)
		}
		resp, m, raw = opAPI(t, env, http.MethodPost, "/v1/integrations/"+op+"/disable", opBearer, otherToken, "")
		opAnchorError(t, resp, m, raw, http.StatusNotFound)

		// Infisical: a disabled connection stays readable, cannot be tested.
		ic := ids[integrations.ProviderInfisical]
		base := "/api/v1/app-connections/1password/" + ic
		resp, m, raw = env.API(http.MethodPost, base+"/disable", token, nil)
		if resp.StatusCode != http.StatusOK || m["appConnection"] == nil {
			t.Errorf("infisical disable = %d %s", resp.StatusCode, raw)
		}
		if resp, _, raw := env.API(http.MethodGet, base, token, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET a disabled connection = %d %s, want 200", resp.StatusCode, raw)
		}
		resp, m, raw = env.API(http.MethodPost, base+"/test", token, nil)
		infErr(t, resp, m, raw, http.StatusBadRequest, "BadRequest")
		if msg, _ := m["message"].(string); !strings.Contains(msg, "disabled") {
			t.Errorf("testing a disabled connection: %q", msg)
		}
		resp, m, raw = env.API(http.MethodPost, "/api/v1/app-connections/aws/"+ic+"/enable", token, nil)
		infErr(t, resp, m, raw, http.StatusNotFound, "NotFound")
		resp, _, raw = env.API(http.MethodPost, base+"/enable", token, nil)
		if resp.StatusCode != http.StatusOK || lcStatus(t, env, ic) != "active" {
			t.Errorf("infisical enable = %d %s", resp.StatusCode, raw)
		}
		resp, m, raw = env.API(http.MethodPost, base+"/disable", readOnly, nil)
		infErr(t, resp, m, raw, http.StatusForbidden, "PermissionDenied")

		// LaunchDarkly: JSON Patch.
		ld := "/api/v2/integration-configurations/" + ids[integrations.ProviderLaunchDarkly]
		newKey := "dd-rotated-0123456789abcdef"
		patch := []map[string]any{
			{"op": "replace", "path": "/enabled", "value": false},
			{"op": "add", "path": "/tags/-", "value": "eu"},
			{"op": "replace", "path": "/configValues/hostURL", "value": "https://api.datadoghq.eu"},
			{"op": "replace", "path": "/configValues/apiKey", "value": newKey},
		}
		resp, m, raw = ldCall(t, env, http.MethodPatch, ld, readOnly, true, patch)
		ldErr(t, resp, m, raw, http.StatusForbidden, "forbidden")
		resp, m, raw = ldCall(t, env, http.MethodPatch, ld, token, true, patch)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH = %d %s", resp.StatusCode, raw)
		}
		cv := m["configValues"].(map[string]any)
		if m["enabled"] != false || cv["hostURL"] != "https://api.datadoghq.eu" || cv["apiKey"] != launchdarkly.MaskSecret(newKey) || len(m["tags"].([]any)) != 1 {
			t.Errorf("after the patch: %s", raw)
		}
		if n := lcAuditCount(t, env, "integration.rotate", ids[integrations.ProviderLaunchDarkly]); n != 1 {
			t.Errorf("%d integration.rotate rows for the LaunchDarkly key change, want 1", n)
		}
		// A patch leaving the secret alone keeps it.
		resp, m, raw = ldCall(t, env, http.MethodPatch, ld, token, true, map[string]any{"patch": []map[string]any{{"op": "replace", "path": "/name", "value": "Audit (EU)"}}})
		if resp.StatusCode != http.StatusOK || m["name"] != "Audit (EU)" || m["configValues"].(map[string]any)["apiKey"] != launchdarkly.MaskSecret(newKey) {
			t.Errorf("rename patch = %d %s", resp.StatusCode, raw)
		}
		for name, tc := range map[string]struct {
			body  any
			field string
		}{
			"not a patch":             {`{"name":"x"}`, "JSON Patch"},
			"unknown op":              {[]map[string]any{{"op": "move", "path": "/name", "value": "x"}}, "patch[0]"},
			"bad path":                {[]map[string]any{{"op": "replace", "path": "/_id", "value": "x"}}, "patch[0].path"},
			"missing path":            {[]map[string]any{{"op": "replace", "path": "/configValues/nope/x", "value": "x"}}, "patch[0]"},
			"failed test":             {[]map[string]any{{"op": "test", "path": "/name", "value": "other"}}, "patch[0]"},
			"remove a secret":         {[]map[string]any{{"op": "remove", "path": "/configValues/apiKey"}}, "configValues.apiKey"},
			"invalid result":          {[]map[string]any{{"op": "replace", "path": "/configValues/hostURL", "value": "https://evil.example"}}, "configValues.hostURL"},
			"unknown config key":      {[]map[string]any{{"op": "add", "path": "/configValues/region", "value": "eu"}}, "configValues.region"},
			"replace without a value": {[]map[string]any{{"op": "replace", "path": "/name"}}, "patch[0]"},
		} {
			resp, m, raw := ldCall(t, env, http.MethodPatch, ld, token, true, tc.body)
			if msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, tc.field) {
				t.Errorf("%s: message %q does not name %s", name, msg, tc.field)
			}
		}
		resp, m, raw = ldCall(t, env, http.MethodPatch, ld, otherToken, true, patch)
		ldErr(t, resp, m, raw, http.StatusNotFound, "not_found")
		htNoSecretAnywhere(t, env, newKey, fresh.Token)
	})
}

// TestLifecycleUI_ConfirmFormsPost: the confirmation's Cancel is a real
// link back to the detail page, its form needs the CSRF token, and a
// revoked integration offers only delete and cannot be enabled.
func TestLifecycleUI_ConfirmFormsPost(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		ids := lcFixtures(t, env, team.ID, token)
		c := htSignInAdmin(t, env)
		id := ids[integrations.ProviderLaunchDarkly]
		_, page := c.Get("/integrations/" + id + "/confirm/revoke")
		if !strings.Contains(page, `href="/integrations/`+id+`" class="btn btn-secondary" data-close-dialog`) {
			t.Errorf("the confirmation has no Cancel link back to the detail page")
		}
		if resp, _ := htPostNoCSRF(c, "/integrations/"+id+"/revoke", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("revoke without the CSRF token = %d, want 403", resp.StatusCode)
		}
		if resp, _ := c.Post("/integrations/"+id+"/revoke", nil); resp.StatusCode != http.StatusSeeOther || lcStatus(t, env, id) != "revoked" {
			t.Errorf("revoke = %d, status %s", resp.StatusCode, lcStatus(t, env, id))
		}
		_, body := c.Get("/integrations/" + id)
		if strings.Contains(body, "/confirm/disable") || strings.Contains(body, "/confirm/revoke") || !strings.Contains(body, "/confirm/delete") {
			t.Errorf("a revoked integration's page: want only delete offered")
		}
		if resp, _ := c.Post("/integrations/"+id+"/enable", nil); resp.StatusCode != http.StatusConflict {
			t.Errorf("enable a revoked integration = %d, want 409", resp.StatusCode)
		}
	})
}
