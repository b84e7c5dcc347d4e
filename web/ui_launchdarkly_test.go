package web_test

// In-process tests of the LaunchDarkly pages: the chooser, the form each
// manifest renders, its htmx fragments and no-JavaScript fallbacks, the
// 422 re-render, statement rows, the reveal and the detail page. On SQLite
// and PostgreSQL.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	sb "switchboard"
	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
	"switchboard/web/webtest"
)

const ldNewPath = "/integrations/new/launchdarkly"

func ldCount(env *webtest.Env) int {
	rows, _ := env.App.Services.List(context.Background(), sb.Actor{Role: sb.RoleAdmin}, integrations.ListFilter{Provider: integrations.ProviderLaunchDarkly})
	return len(rows)
}

func TestLaunchDarklyUI_ChooserAndForm(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		env.CreateTeam("flags")
		c := htSignInAdmin(t, env)

		_, body := c.Get("/integrations/new")
		if !strings.Contains(body, `href="/integrations/new/launchdarkly"`) || strings.Contains(body, "coming soon") {
			t.Errorf("the provider chooser does not offer LaunchDarkly as available")
		}
		resp, body := c.Get(ldNewPath)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("chooser = %d", resp.StatusCode)
		}
		for _, m := range env.App.Services.Manifests.All() {
			if !htHasTestID(body, "ld-card-"+m.Key) || !strings.Contains(body, m.Name) {
				t.Errorf("the chooser has no card for %s", m.Key)
			}
		}
		if !strings.Contains(body, "auditLogEventsHook") || !htHasTestID(body, "ld-choose") || htHasTestID(body, "ld-form") {
			t.Errorf("the chooser without a choice: want capabilities on cards and no form")
		}
		if !strings.Contains(body, "environmentSelector") || !strings.Contains(body, "not available yet") {
			t.Errorf("cards do not say which field types are not available yet")
		}

		// A card's link: the full page without JavaScript, only the form for htmx.
		resp, body = c.Get(ldNewPath + "?integrationKey=datadog")
		if resp.StatusCode != http.StatusOK || !htHasTestID(body, "ld-form") || !htHasTestID(body, "ld-cards") || !strings.Contains(body, "<html") {
			t.Fatalf("datadog form page = %d, want the cards and the form in the layout", resp.StatusCode)
		}
		c.Header.Set("HX-Request", "true")
		resp, frag := c.Get(ldNewPath + "?integrationKey=datadog")
		c.Header.Del("HX-Request")
		if strings.Contains(frag, "<html") || !strings.HasPrefix(strings.TrimSpace(frag), `<div id="ld-chooser">`) || !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
			t.Errorf("htmx request: want only #ld-chooser with Vary: HX-Request; got %.120s (Vary %q)", frag, resp.Header.Get("Vary"))
		}
		if !strings.Contains(frag, `ring-2 ring-indigo-200" data-testid="ld-card-datadog"`) || !htHasTestID(frag, "ld-form") {
			t.Errorf("htmx request: the chosen card is not marked, or the form is missing")
		}
		// htmx restoring history after a cache miss needs the whole page.
		c.Header.Set("HX-Request", "true")
		c.Header.Set("HX-History-Restore-Request", "true")
		_, restored := c.Get(ldNewPath + "?integrationKey=datadog")
		c.Header.Del("HX-Request")
		c.Header.Del("HX-History-Restore-Request")
		if !strings.Contains(restored, "<html") || !htHasTestID(restored, "nav") {
			t.Errorf("a history restore request got a fragment, not the page")
		}
		// What the datadog manifest asks for.
		for _, want := range []string{`type="password" id="cv-apiKey" name="configValues.apiKey"`, `name="configValues.hostURL"`,
			`<option value="https://api.datadoghq.com" selected`, `type="checkbox" id="cv-hideMemberDetails"`, `data-testid="statements"`} {
			if !strings.Contains(body, want) {
				t.Errorf("datadog form lacks %s", want)
			}
		}
		if htHasTestID(body, "approvals") {
			t.Errorf("datadog has no approval capability, but the form offers approvals")
		}
		// Generated, unavailable, hidden and dependent fields.
		_, body = c.Get(ldNewPath + "?integrationKey=cloudtrail")
		if !htHasTestID(body, "generated-externalId") || strings.Contains(body, `name="configValues.externalId"`) {
			t.Errorf("cloudtrail: the generated externalId must be explained, not asked for")
		}
		if strings.Contains(body, "configValues.accountId") {
			t.Errorf("cloudtrail: the isHidden accountId is on the form")
		}
		_, body = c.Get(ldNewPath + "?integrationKey=pagerduty")
		if !htHasTestID(body, "unavailable-projectAndEnv") || !strings.Contains(body, "environmentSelector are not available in Switchboard yet") {
			t.Errorf("pagerduty: the environmentSelector field does not say it is not available yet")
		}
		if !strings.Contains(body, `value="measured-rollout-regression" checked`) {
			t.Errorf("pagerduty: the multiselect's default options are not ticked")
		}
		_, body = c.Get(ldNewPath + "?integrationKey=servicenow")
		label := body[strings.Index(body, `for="cv-username"`):]
		if label = label[:strings.Index(label, "</label>")]; strings.Contains(label, "optional") || !strings.Contains(label, "Username") {
			t.Errorf("servicenow: a field is labelled optional, though none is (dependsOn fields are required when shown)")
		}
		if !htHasTestID(body, "approvals") || !htHasTestID(body, "depends-clientId") || !strings.Contains(body, `Used only when Authentication is &#34;oauth-client-credentials&#34;.`) {
			t.Errorf("servicenow: want the approvals section and a dependsOn hint on clientId")
		}
		if !strings.Contains(body, `data-ld-field="clientId"`) || !strings.Contains(body, `data-ld-hidden data-testid="ld-field-clientId"`) {
			t.Errorf("servicenow: clientId is not marked hidden for the default authMethod")
		}
		if resp, _ := c.Get(ldNewPath + "?integrationKey=nope"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown integration key = %d, want 404", resp.StatusCode)
		}
	})
}

func TestLaunchDarklyUI_CreateRevealAndDetail(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		c := htSignInAdmin(t, env)
		c.Get(ldNewPath + "?integrationKey=datadog")
		secret := "dd-canary-0123456789abcdef"
		form := url.Values{"integrationKey": {"datadog"}, "team_id": {team.ID}, "name": {""}, "tags": {"prod, audit"},
			"enabled": {"false", "true"}, "configValues.apiKey": {secret}, "configValues.hostURL": {"https://api.datadoghq.eu"},
			"configValues.hideMemberDetails": {"false", "true"},
			"statements[0].effect":           {"deny"}, "statements[0].resourceMode": {"notResources"}, "statements[0].resources": {"proj/*:env/test:flag/*\nmember/*"},
			"statements[0].actionMode": {"actions"}, "statements[0].actions": {"updateOn, deleteFlag"},
			"statements[1].effect": {"allow"}, "statements[1].resources": {"proj/*:flag/*"}, "statements[1].actions": {"*"}}
		// Invalid: no name and a statement whose resource cannot be.
		resp, body := c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("invalid form = %d, want 422", resp.StatusCode)
		}
		for _, f := range []string{"name", "capabilityConfig.auditLogEventsHook.statements[1].resources"} {
			if !htHasTestID(body, "error-"+f) {
				t.Errorf("no error next to %s; errors %v", f, ldFormErrors(body))
			}
		}
		if strings.Contains(body, secret) {
			t.Errorf("the re-rendered form echoes the secret")
		}
		if !strings.Contains(body, `value="prod, audit"`) || !strings.Contains(body, `<option value="https://api.datadoghq.eu" selected`) ||
			!strings.Contains(body, "proj/*:env/test:flag/*\nmember/*") || !strings.Contains(body, `<option value="notResources" selected`) {
			t.Errorf("the re-rendered form lost what was typed")
		}
		if n := ldCount(env); n != 0 {
			t.Fatalf("%d configurations stored after a refused form", n)
		}
		// Fixed: saved, then the reveal once.
		form.Set("name", "Audit events")
		form.Set("statements[1].resources", "proj/*:env/*:flag/*")
		resp, body = c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/reveal/") {
			t.Fatalf("valid form = %d %s, want 303 to the reveal; errors %v", resp.StatusCode, resp.Header.Get("Location"), ldFormErrors(body))
		}
		reveal := resp.Header.Get("Location")
		_, body = c.Get(reveal)
		if !strings.Contains(body, secret) {
			t.Errorf("the reveal does not show the API key")
		}
		if resp, _ := c.Get(reveal); resp.StatusCode != http.StatusGone {
			t.Errorf("second reveal = %d, want 410", resp.StatusCode)
		}
		rows, _ := env.App.Services.List(context.Background(), sb.Actor{Role: sb.RoleAdmin}, integrations.ListFilter{})
		if len(rows) != 1 {
			t.Fatalf("%d integrations, want 1", len(rows))
		}
		_, body = c.Get("/integrations/" + rows[0].ID)
		mask := launchdarkly.MaskSecret(secret)
		for _, want := range []string{"Datadog Events (datadog)", mask, "prod, audit", "https://api.datadoghq.eu",
			"deny · notResources proj/*:env/test:flag/* member/* · actions updateOn deleteFlag", "allow · resources proj/*:env/*:flag/* · actions *"} {
			if !strings.Contains(body, want) {
				t.Errorf("the detail page lacks %q", want)
			}
		}
		if strings.Contains(body, secret) {
			t.Errorf("the detail page shows the secret")
		}
		_, body = c.Get("/integrations")
		if !strings.Contains(body, "Audit events") || !strings.Contains(body, "LaunchDarkly integration") {
			t.Errorf("the list does not show the configuration")
		}
		// A configuration with nothing to reveal goes straight to its page.
		resp, _ = c.Post(ldNewPath, url.Values{"integrationKey": {"sample-integration"}, "team_id": {team.ID}, "name": {"Plain"}, "configValues.required": {"r"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/integrations/") {
			t.Errorf("nothing to reveal = %d %s, want 303 to the detail page", resp.StatusCode, loc)
		}
		htNoSecretAnywhere(t, env, secret)
	})
}

func TestLaunchDarklyUI_StatementRows(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		c := htSignInAdmin(t, env)
		_, body := c.Get(ldNewPath + "?integrationKey=datadog")
		if n := strings.Count(body, `data-testid="statement-row"`); n != 1 {
			t.Fatalf("a new form has %d statement rows, want 1", n)
		}
		form := url.Values{"integrationKey": {"datadog"}, "team_id": {team.ID}, "name": {"x"}, "configValues.apiKey": {"dd-0123456789abcdef"},
			"statements[0].effect": {"allow"}, "statements[0].resources": {"proj/a"}, "statements[0].actions": {"*"}, "op": {"add-statement"}}
		// htmx: only the statements come back, with a new row.
		c.Header.Set("HX-Request", "true")
		resp, frag := c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(frag), `<fieldset id="ld-statements"`) {
			t.Fatalf("add-statement (htmx) = %d %.100s, want the statements fieldset", resp.StatusCode, frag)
		}
		if n := strings.Count(frag, `data-testid="statement-row"`); n != 2 || !strings.Contains(frag, ">proj/a</textarea>") {
			t.Errorf("after add: %d rows (want 2) and the first row kept", n)
		}
		form.Set("op", "remove-statement-0")
		_, frag = c.Post(ldNewPath, form)
		c.Header.Del("HX-Request")
		if n := strings.Count(frag, `data-testid="statement-row"`); n != 0 {
			t.Errorf("after removing the only row: %d rows, want 0", n)
		}
		// Without JavaScript: the whole page, saying nothing was saved.
		form.Set("op", "add-statement")
		resp, body = c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<html") || !htHasTestID(body, "ld-notice") || strings.Count(body, `data-testid="statement-row"`) != 2 {
			t.Errorf("add-statement (no JS) = %d, want the full page with a notice and 2 rows", resp.StatusCode)
		}
		if strings.Contains(body, "dd-0123456789abcdef") {
			t.Errorf("the reloaded form echoes the secret")
		}
		if n := ldCount(env); n != 0 {
			t.Errorf("%d configurations stored by row edits, want none", n)
		}
	})
}

func TestLaunchDarklyUI_TeamsAndApprovals(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		own := env.CreateTeam("flags")
		other := env.CreateTeam("other")
		env.CreateUser("support@example.com", sb.RoleSupport, "flags")
		c, _ := htSignIn(t, env, "support@example.com")
		_, body := c.Get(ldNewPath + "?integrationKey=servicenow")
		if strings.Contains(body, other.ID) || !strings.Contains(body, own.ID) {
			t.Errorf("a support user's team choice must hold only its own team")
		}
		base := url.Values{"integrationKey": {"servicenow"}, "name": {"Approvals"}, "configValues.instanceUrl": {"https://acme.service-now.com"},
			"configValues.authMethod": {"basic"}, "configValues.username": {"ld"}, "configValues.password": {"sn-password-0123"}}
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		form.Set("team_id", other.ID)
		resp, body := c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-team_id") {
			t.Errorf("another team's id = %d (errors %v), want 422 on team_id", resp.StatusCode, ldFormErrors(body))
		}
		form.Set("team_id", own.ID)
		form.Set("capabilityConfig.approvals.additionalFormVariables", `[{"key":"group"`)
		resp, body = c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-capabilityConfig.approvals.additionalFormVariables") {
			t.Errorf("approvals text that is not JSON = %d (errors %v), want 422 on it", resp.StatusCode, ldFormErrors(body))
		}
		if !strings.Contains(body, `[{&#34;key&#34;:&#34;group&#34;`) {
			t.Errorf("the approvals text was not kept for fixing")
		}
		form.Set("capabilityConfig.approvals.additionalFormVariables", `[{"key":"group","name":"Group","type":"string","description":"Assignment group","isOptional":true,"defaultValue":"CAB"}]`)
		resp, body = c.Post(ldNewPath, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("valid approvals = %d (errors %v), want 303", resp.StatusCode, ldFormErrors(body))
		}
		rows, _ := env.App.Services.List(context.Background(), sb.Actor{Role: sb.RoleAdmin}, integrations.ListFilter{})
		if len(rows) != 1 || rows[0].TeamID != own.ID {
			t.Fatalf("stored %d rows (team %v), want one in the support user's team", len(rows), rows)
		}
		cfg, _, _ := integrations.LDConfigOf(rows[0])
		if ap := cfg.CapabilityConfig.Approvals; ap == nil || len(ap.AdditionalFormVariables) != 1 || ap.AdditionalFormVariables[0].Key != "group" {
			t.Errorf("approvals = %+v", cfg.CapabilityConfig.Approvals)
		}
		if _, ok := cfg.ConfigValues["clientId"]; ok {
			t.Errorf("clientId stored for basic sign-in")
		}
	})
}

func TestLaunchDarklyUI_Edit(t *testing.T) {
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		c := htSignInAdmin(t, env)
		secret := "dd-first-0123456789abcdef"
		_, m, raw := ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, map[string]any{"name": "Audit", "tags": []string{"a"},
			"configValues":     map[string]any{"apiKey": secret},
			"capabilityConfig": map[string]any{"auditLogEventsHook": map[string]any{"statements": []any{map[string]any{"effect": "allow", "resources": []any{"proj/*"}, "actions": []any{"*"}}}}}})
		id, _ := m["_id"].(string)
		if id == "" {
			t.Fatalf("create: %s", raw)
		}
		ldCall(t, env, http.MethodPost, ldKeys+"datadog", token, true, map[string]any{"name": "Taken", "configValues": map[string]any{"apiKey": "dd-other-0123456789"}})
		resp, body := c.Get("/integrations/" + id + "/edit")
		if resp.StatusCode != http.StatusOK || !htHasTestID(body, "kept-apiKey") || strings.Contains(body, secret) {
			t.Fatalf("edit page = %d: want the stored key kept, never shown", resp.StatusCode)
		}
		if !strings.Contains(body, `value="Audit"`) || !strings.Contains(body, ">proj/*</textarea>") || !strings.Contains(body, `value="a"`) {
			t.Errorf("the edit page does not show the stored name, tags and statements")
		}
		form := url.Values{"name": {"Audit (EU)"}, "tags": {"a, eu"}, "enabled": {"false"}, "configValues.apiKey": {""},
			"configValues.hostURL": {"https://api.datadoghq.eu"}, "configValues.hideMemberDetails": {"false"},
			"statements[0].effect": {"allow"}, "statements[0].resources": {"proj/*"}, "statements[0].actions": {"*"}}
		// A name another configuration has: 422 on the name, nothing changed.
		form.Set("name", "taken")
		resp, body = c.Post("/integrations/"+id+"/edit", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !htHasTestID(body, "error-name") {
			t.Errorf("rename to a taken name = %d (errors %v), want 422 on name", resp.StatusCode, ldFormErrors(body))
		}
		form.Set("name", "Audit (EU)")
		resp, _ = c.Post("/integrations/"+id+"/edit", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save = %d, want 303", resp.StatusCode)
		}
		_, got, _ := ldCall(t, env, http.MethodGet, "/api/v2/integration-configurations/"+id, token, true, nil)
		cv := got["configValues"].(map[string]any)
		if got["name"] != "Audit (EU)" || got["enabled"] != false || cv["hostURL"] != "https://api.datadoghq.eu" || cv["apiKey"] != launchdarkly.MaskSecret(secret) {
			t.Errorf("after the edit: %v", got)
		}
		row, _ := env.Store.IntegrationByID(context.Background(), id)
		if row.Version != 1 || row.Status != "disabled" {
			t.Errorf("version %d status %s, want 1 (the key kept) and disabled", row.Version, row.Status)
		}
		// A new key: sealed, version 2.
		second := "dd-second-0123456789abcdef"
		form.Set("configValues.apiKey", second)
		c.Post("/integrations/"+id+"/edit", form)
		row, _ = env.Store.IntegrationByID(context.Background(), id)
		_, got, _ = ldCall(t, env, http.MethodGet, "/api/v2/integration-configurations/"+id, token, true, nil)
		if row.Version != 2 || got["configValues"].(map[string]any)["apiKey"] != launchdarkly.MaskSecret(second) {
			t.Errorf("after a new key: version %d, apiKey %v", row.Version, got["configValues"].(map[string]any)["apiKey"])
		}

		// disableAfterSaving, generated key pairs and hidden values set by automation.
		_, m, raw = ldCall(t, env, http.MethodPost, ldKeys+"snowflake-experimentation", token, true, map[string]any{"name": "Warehouse",
			"configValues": map[string]any{"snowflakeHostAddress": "https://acme.snowflakecomputing.com", "syncTaskId": "task-42"}})
		sid, _ := m["_id"].(string)
		if sid == "" {
			t.Fatalf("snowflake: %s", raw)
		}
		pub := m["configValues"].(map[string]any)["publicKey"]
		_, body = c.Get("/integrations/" + sid + "/edit")
		if !htHasTestID(body, "locked-snowflakeHostAddress") || strings.Contains(body, `name="configValues.snowflakeHostAddress"`) {
			t.Errorf("the account URL (disableAfterSaving) is editable")
		}
		if !strings.Contains(body, pub.(string)) {
			t.Errorf("the edit page does not show the generated public key")
		}
		resp, body = c.Post("/integrations/"+sid+"/edit", url.Values{"name": {"Warehouse"}, "configValues.snowflakeHostAddress": {"https://evil.snowflakecomputing.com"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot be changed after saving") {
			t.Errorf("changing a disableAfterSaving value = %d (errors %v), want 422", resp.StatusCode, ldFormErrors(body))
		}
		resp, _ = c.Post("/integrations/"+sid+"/edit", url.Values{"name": {"Warehouse (prod)"}, "enabled": {"false", "true"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("snowflake rename = %d", resp.StatusCode)
		}
		_, got, _ = ldCall(t, env, http.MethodGet, "/api/v2/integration-configurations/"+sid, token, true, nil)
		cv = got["configValues"].(map[string]any)
		if cv["publicKey"] != pub || cv["snowflakeHostAddress"] != "https://acme.snowflakecomputing.com" || cv["syncTaskId"] != "task-42" {
			t.Errorf("after the edit the key pair, the account URL or the hidden task id changed: %v", cv)
		}
		// The audit rows name what changed and hold no secret.
		htNoSecretAnywhere(t, env, secret, second)
		if dump := dumpDB(t, env.Store); !strings.Contains(dump, "configValues.apiKey") || !strings.Contains(dump, "integration.update") {
			t.Errorf("no audit row names the changed configValues.apiKey")
		}
	})
}
