package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"switchboard/web/webtest"
)

// omit marks a value left out of the request.
type ldOmit struct{}

// TestLaunchDarkly_FormAndAPIAgree feeds each form variable type good and
// bad values through the JSON family and through the browser form, and
// wants the same verdict from both: accepted (201 / 303), or refused with
// the field named (400 naming configValues.<key> / 422 with the error next
// to the field). Values are ones both can carry (a form sends only text).
func TestLaunchDarkly_FormAndAPIAgree(t *testing.T) {
	long := strings.Repeat("a", 4097)
	dd := map[string]any{"apiKey": "dd-0123456789abcdef"}
	splunk := map[string]any{"base-url": "https://http-inputs-acme.splunkcloud.com", "token": "hec-0123456789abcdef", "skip-ca-verification": false}
	pd := map[string]any{"integrationKey": "pd-0123456789abcdef", "severity": "error"}
	sn := map[string]any{"instanceUrl": "https://acme.service-now.com", "username": "ld", "password": "sn-password-0123"}
	cases := []struct {
		name  string
		key   string
		base  map[string]any
		field string
		value any
		ok    bool
	}{
		{"string: a value", "honeycomb", map[string]any{"apiKey": "hc-0123456789"}, "datasetName", "production", true},
		{"string: required, left out", "honeycomb", map[string]any{"apiKey": "hc-0123456789"}, "datasetName", ldOmit{}, false},
		{"string: required, empty", "honeycomb", map[string]any{"apiKey": "hc-0123456789"}, "datasetName", "", false},
		{"string: required, blank", "honeycomb", map[string]any{"apiKey": "hc-0123456789"}, "datasetName", "   ", false},
		{"string: too long", "honeycomb", map[string]any{"apiKey": "hc-0123456789"}, "datasetName", long, false},
		{"string: optional, left out", "dynatrace", map[string]any{"apiToken": "dt-0123456789", "url": "https://abc.live.dynatrace.com"}, "tag", ldOmit{}, true},
		{"secret string: a value", "datadog", map[string]any{}, "apiKey", "dd-0123456789abcdef", true},
		{"secret string: left out", "datadog", map[string]any{}, "apiKey", ldOmit{}, false},
		{"boolean: true", "datadog", dd, "hideMemberDetails", true, true},
		{"boolean: false", "datadog", dd, "hideMemberDetails", false, true},
		{"boolean: not a boolean", "datadog", dd, "hideMemberDetails", "yes", false},
		{"boolean: optional, left out", "datadog", dd, "hideMemberDetails", ldOmit{}, true},
		{"boolean: required, true", "splunk", splunk, "skip-ca-verification", true, true},
		{"boolean: required, not a boolean", "splunk", splunk, "skip-ca-verification", "maybe", false},
		{"uri: https", "splunk", splunk, "base-url", "https://http-inputs-acme.splunkcloud.com", true},
		{"uri: http", "splunk", splunk, "base-url", "http://splunk.internal:8088", true},
		{"uri: ftp", "splunk", splunk, "base-url", "ftp://splunk.example.com", false},
		{"uri: relative", "splunk", splunk, "base-url", "/services/collector", false},
		{"uri: no host", "splunk", splunk, "base-url", "https://", false},
		{"uri: not a URL", "splunk", splunk, "base-url", "splunk cloud", false},
		{"uri: required, left out", "splunk", splunk, "base-url", ldOmit{}, false},
		{"enum: allowed", "datadog", dd, "hostURL", "https://api.datadoghq.eu", true},
		{"enum: not allowed", "datadog", dd, "hostURL", "https://api.datadoghq.evil", false},
		{"enum: optional, left out", "datadog", dd, "hostURL", ldOmit{}, true},
		{"enum: required, allowed", "pagerduty", pd, "severity", "warning", true},
		{"enum: required, not allowed", "pagerduty", pd, "severity", "fatal", false},
		{"enum: required, left out", "pagerduty", pd, "severity", ldOmit{}, false},
		{"multiselect: one option", "pagerduty", pd, "eventFilter", []string{"measured-rollout-regression"}, true},
		{"multiselect: both options", "pagerduty", pd, "eventFilter", []string{"measured-rollout-regression", "measured-rollout-reverted"}, true},
		{"multiselect: none", "pagerduty", pd, "eventFilter", []string{}, true},
		{"multiselect: unknown option", "pagerduty", pd, "eventFilter", []string{"incident-opened"}, false},
		{"generated: left out", "cloudtrail", map[string]any{"ingestionChannelArn": "arn:aws:cloudtrail:us-east-1:1:channel/x"}, "externalId", ldOmit{}, true},
		{"generated: given", "cloudtrail", map[string]any{"ingestionChannelArn": "arn:aws:cloudtrail:us-east-1:1:channel/x"}, "externalId", "my-own-id", false},
		{"publicKey: left out", "snowflake-experimentation", map[string]any{"snowflakeHostAddress": "https://a.snowflakecomputing.com"}, "publicKey", ldOmit{}, true},
		{"publicKey: given", "snowflake-experimentation", map[string]any{"snowflakeHostAddress": "https://a.snowflakecomputing.com"}, "publicKey", "MIIBIjANBg", false},
		{"environmentSelector (not available): given", "pagerduty", pd, "projectAndEnv", "default/production", false},
		{"environmentSelector (not available): left out", "pagerduty", pd, "projectAndEnv", ldOmit{}, true},
		{"dynamicEnum (not available): given", "sample-integration", map[string]any{"required": "r"}, "color", "#ff0000", false},
		{"unknown key", "datadog", dd, "region", "eu", false},
		{"dependsOn: hidden field given (ignored)", "servicenow", sn, "clientId", "ignored", true},
		{"dependsOn: shown field left out", "servicenow", map[string]any{"instanceUrl": "https://acme.service-now.com", "authMethod": "oauth-client-credentials", "clientSecret": "cs-0123456789"}, "clientId", ldOmit{}, false},
		{"dependsOn: shown field given", "servicenow", map[string]any{"instanceUrl": "https://acme.service-now.com", "authMethod": "oauth-client-credentials", "clientSecret": "cs-0123456789"}, "clientId", "client-1", true},
	}
	htEachDialect(t, func(t *testing.T, env *webtest.Env) {
		team := env.CreateTeam("flags")
		token := env.CreateToken(team.ID, false)
		email := "admin-" + uuid.NewString()[:8] + "@example.com"
		env.CreateUser(email, "admin")
		c, _ := htSignIn(t, env, email)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				values := map[string]any{}
				for k, v := range tc.base {
					values[k] = v
				}
				if _, omit := tc.value.(ldOmit); omit {
					delete(values, tc.field)
				} else {
					values[tc.field] = tc.value
				}
				// The JSON family.
				resp, m, raw := ldCall(t, env, http.MethodPost, ldKeys+tc.key, token, true,
					map[string]any{"name": "api " + uuid.NewString()[:8], "configValues": values})
				apiOK := resp.StatusCode == http.StatusCreated
				if !apiOK {
					msg := ldErr(t, resp, m, raw, http.StatusBadRequest, "invalid_request")
					if !strings.Contains(msg, "configValues."+tc.field) {
						t.Errorf("API refused it but its message %q does not name configValues.%s", msg, tc.field)
					}
				}
				// The browser form, with the same values as text.
				form := url.Values{"integrationKey": {tc.key}, "team_id": {team.ID}, "name": {"form " + uuid.NewString()[:8]}}
				for k, v := range values {
					name := "configValues." + k
					switch x := v.(type) {
					case bool:
						form.Add(name, "false") // the hidden input before the checkbox
						if x {
							form.Add(name, "true")
						}
					case []string:
						form.Add(name, "") // the hidden marker of a multiselect
						for _, s := range x {
							form.Add(name, s)
						}
					default:
						form.Add(name, fmt.Sprint(x))
					}
				}
				fresp, body := c.Post("/integrations/new/launchdarkly", form)
				formOK := fresp.StatusCode == http.StatusSeeOther
				if !formOK {
					if fresp.StatusCode != http.StatusUnprocessableEntity {
						t.Fatalf("form answered %d, want 303 or 422; body %.300s", fresp.StatusCode, body)
					}
					if !strings.Contains(body, `data-testid="error-configValues.`+tc.field+`"`) && !(tc.field == "region" && strings.Contains(body, "configValues.region")) {
						t.Errorf("form refused it without an error for configValues.%s; errors: %v", tc.field, ldFormErrors(body))
					}
				}
				if apiOK != formOK {
					t.Errorf("verdicts differ: API %d (%s), form %d (errors %v)", resp.StatusCode, raw, fresp.StatusCode, ldFormErrors(body))
				}
				if apiOK != tc.ok {
					t.Errorf("verdict = %v, want %v; API body %s", apiOK, tc.ok, raw)
				}
			})
		}
	})
}

// ldFormErrors lists the field errors of a re-rendered form.
func ldFormErrors(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `data-testid="error-`)[1:] {
		if i := strings.IndexByte(part, '"'); i > 0 {
			out = append(out, part[:i])
		}
	}
	return out
}
