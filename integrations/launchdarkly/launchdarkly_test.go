package launchdarkly

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sb "switchboard"
)

func TestShippedManifests_LoadAndCover(t *testing.T) {
	set, err := LoadManifests("")
	if err != nil {
		t.Fatalf("shipped manifests: %v", err)
	}
	for _, key := range []string{"datadog", "splunk", "dynatrace", "honeycomb", "pagerduty", "cloudtrail", "snowflake-experimentation", "servicenow", "sample-integration"} {
		m, ok := set.Get(key)
		if !ok {
			t.Errorf("manifest %s is not shipped", key)
			continue
		}
		if m.Name == "" || m.Description == "" || m.Source != "shipped" {
			t.Errorf("manifest %s: name %q, description %q, source %q", key, m.Name, m.Description, m.Source)
		}
	}
	// Every supported type and flag appears in at least one shipped manifest,
	// so the form and the validator meet each of them.
	types, flags := map[string]bool{}, map[string]bool{}
	for _, m := range set.All() {
		for _, f := range m.FormVariables {
			types[f.Type] = true
			for name, on := range map[string]bool{"isSecret": f.IsSecret, "isOptional": f.IsOptional, "isHidden": f.IsHidden,
				"defaultValue": f.DefaultValue != nil, "allowedValues": f.AllowedValues != nil, "placeholder": f.Placeholder != "",
				"disableAfterSaving": f.DisableAfterSaving, "dependsOn": f.DependsOn != nil, "hideEmpty": f.HideEmpty} {
				flags[name] = flags[name] || on
			}
		}
	}
	for _, typ := range []string{FVString, FVBoolean, FVURI, FVEnum, FVMultiselect, FVGenerated, FVPublicKey, FVDynamicEnum, FVEnvironmentSelector} {
		if !types[typ] {
			t.Errorf("no shipped manifest has a %s form variable", typ)
		}
	}
	for name, seen := range flags {
		if !seen {
			t.Errorf("no shipped manifest uses %s", name)
		}
	}
}

// TestParseManifest_Rules feeds manifests that each break one rule and
// wants the start refused with the file and the rule named.
func TestParseManifest_Rules(t *testing.T) {
	fv := func(extra string) string {
		return `{"key":"acme","name":"Acme","description":"d","formVariables":[` + extra + `]}`
	}
	cases := []struct {
		name, file, body, want string
	}{
		{"not JSON", "acme.json", `{"key":`, "not valid JSON"},
		{"unknown manifest member", "acme.json", `{"key":"acme","name":"A","description":"d","formVariables":[],"icon":"x"}`, "additional properties 'icon'"},
		{"missing formVariables", "acme.json", `{"key":"acme","name":"A","description":"d"}`, "formVariables"},
		{"unknown capability", "acme.json", `{"key":"acme","name":"A","description":"d","formVariables":[],"capabilities":["teleport"]}`, "/capabilities/0"},
		{"file name differs from key", "other.json", fv(``), "must match the file name"},
		{"key with a space", "acme.json", fv(`{"key":"a b","name":"A","type":"string","description":"d"}`), "/formVariables/0/key"},
		{"key too long", "acme.json", fv(`{"key":"abcdefghijklmnopqrstu","name":"A","type":"string","description":"d"}`), "maxLength"},
		{"unknown type", "acme.json", fv(`{"key":"a","name":"A","type":"number","description":"d"}`), "/formVariables/0/type"},
		{"missing description", "acme.json", fv(`{"key":"a","name":"A","type":"string"}`), "description"},
		{"unknown form variable member", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d","secret":true}`), "additional properties 'secret'"},
		{"default without isOptional", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d","defaultValue":"x"}`), "defaultValue is set but isOptional is not true"},
		{"optional without default", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d","isOptional":true}`), "optional field needs one"},
		{"secret boolean", "acme.json", fv(`{"key":"a","name":"A","type":"boolean","description":"d","isSecret":true}`), "isSecret is only allowed on string"},
		{"secret uri", "acme.json", fv(`{"key":"a","name":"A","type":"uri","description":"d","isSecret":true}`), "isSecret is only allowed on string"},
		{"enum without allowedValues", "acme.json", fv(`{"key":"a","name":"A","type":"enum","description":"d"}`), "enum needs allowedValues"},
		{"enum default not allowed", "acme.json", fv(`{"key":"a","name":"A","type":"enum","description":"d","allowedValues":["x"],"isOptional":true,"defaultValue":"y"}`), "not one of allowedValues"},
		{"allowedValues on a string", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d","allowedValues":["x"]}`), "only for type enum"},
		{"multiselect without options", "acme.json", fv(`{"key":"a","name":"A","type":"multiselect","description":"d"}`), "multiselect needs multiselectOptions"},
		{"multiselect default not an option", "acme.json", fv(`{"key":"a","name":"A","type":"multiselect","description":"d","multiselectOptions":[{"label":"X","value":"x"}],"multiselectDefaultOptions":["y"]}`), "not one of the multiselectOptions"},
		{"boolean default a string", "acme.json", fv(`{"key":"a","name":"A","type":"boolean","description":"d","isOptional":true,"defaultValue":"true"}`), "must be true or false"},
		{"uri default not a URL", "acme.json", fv(`{"key":"a","name":"A","type":"uri","description":"d","isOptional":true,"defaultValue":"example.com"}`), "not an absolute http(s) URL"},
		{"dynamicEnum without options", "acme.json", fv(`{"key":"a","name":"A","type":"dynamicEnum","description":"d"}`), "dynamicEnum needs dynamicOptions"},
		{"duplicate key", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d"},{"key":"a","name":"B","type":"string","description":"d"}`), "used by an earlier form variable"},
		{"dependsOn an unknown variable", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d","dependsOn":[{"variableKey":"zz","variableLocation":"formVariables","action":"showField","conditions":[{"operator":"equalTo","value":"x"}]}]}`), "names no form variable"},
		{"dependsOn itself", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d","dependsOn":[{"variableKey":"a","variableLocation":"formVariables","action":"showField","conditions":[{"operator":"equalTo","value":"x"}]}]}`), "cannot depend on itself"},
		{"dependsOn another location", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d"},{"key":"b","name":"B","type":"string","description":"d","dependsOn":[{"variableKey":"a","variableLocation":"environmentFormVariables","action":"showField","conditions":[{"operator":"equalTo","value":"x"}]}]}`), "variableLocation \"environmentFormVariables\" is not supported"},
		{"dependsOn circle", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d","dependsOn":[{"variableKey":"b","variableLocation":"formVariables","action":"showField","conditions":[{"operator":"equalTo","value":"x"}]}]},{"key":"b","name":"B","type":"string","description":"d","dependsOn":[{"variableKey":"a","variableLocation":"formVariables","action":"showField","conditions":[{"operator":"equalTo","value":"x"}]}]}`), "goes round in a circle"},
		{"bad operator", "acme.json", fv(`{"key":"a","name":"A","type":"string","description":"d"},{"key":"b","name":"B","type":"string","description":"d","dependsOn":[{"variableKey":"a","variableLocation":"formVariables","action":"showField","conditions":[{"operator":"like","value":"x"}]}]}`), "operator"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseManifest(tc.file, []byte(tc.body))
			if err == nil {
				t.Fatalf("accepted, want refused with %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
				t.Errorf("error %q does not name the file %s and %q", err, tc.file, tc.want)
			}
		})
	}
}

func TestLoadManifests_Dir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// An organisation's own integration, using the types Switchboard cannot
	// take yet: it loads, and those fields take no value.
	write("acme-events.json", `{"key":"acme-events","name":"Acme events","description":"Our own event bus.","capabilities":["auditLogEventsHook"],"formVariables":[
		{"key":"endpoint","name":"Endpoint","type":"uri","description":"Where events go."},
		{"key":"login","name":"Sign in","type":"oauth","description":"OAuth sign-in."},
		{"key":"env","name":"Environment","type":"environmentSelector","description":"Which environment.","isOptional":true,"defaultValue":""},
		{"key":"queue","name":"Queue","type":"dynamicEnum","description":"Queues.","dynamicOptions":{"endpoint":{"url":"https://acme.example/queues","method":"GET"},"parser":{"optionsPath":"/q","optionsItems":{"label":"/n","value":"/v"}}}}
	]}`)
	// A replacement for a shipped one.
	write("honeycomb.json", `{"key":"honeycomb","name":"Honeycomb (ours)","description":"Our wording.","formVariables":[]}`)
	set, err := LoadManifests(dir)
	if err != nil {
		t.Fatalf("LoadManifests: %v", err)
	}
	m, ok := set.Get("acme-events")
	if !ok || m.Source != filepath.Join(dir, "acme-events.json") {
		t.Fatalf("acme-events not loaded from the folder: %+v", m)
	}
	if h, _ := set.Get("honeycomb"); h.Name != "Honeycomb (ours)" {
		t.Errorf("honeycomb = %q, want the folder's manifest to replace the shipped one", h.Name)
	}
	if _, ok := set.Get("datadog"); !ok {
		t.Errorf("shipped manifests are gone when a folder is given")
	}
	// Only the endpoint is needed; a value for an unsupported field is refused.
	if err := validateErr(m, &Input{Name: "x", ConfigValues: map[string]any{"endpoint": "https://bus.acme.example"}}); err != nil {
		t.Errorf("valid acme-events config refused: %v", err)
	}
	err = validateErr(m, &Input{Name: "x", ConfigValues: map[string]any{"endpoint": "https://bus.acme.example", "login": "token"}})
	if e := sb.AsError(err); e == nil || !strings.Contains(e.Fields["configValues.login"], "oauth are not available") {
		t.Errorf("oauth value: %v, want configValues.login refused as not available", err)
	}
	// One bad file stops it all, naming the file and the rule.
	write("broken.json", `{"key":"broken","name":"B","description":"d","formVariables":[{"key":"a","name":"A","type":"boolean","description":"d","isSecret":true}]}`)
	_, err = LoadManifests(dir)
	if err == nil || !strings.Contains(err.Error(), "broken.json") || !strings.Contains(err.Error(), "isSecret") {
		t.Errorf("LoadManifests with a bad file = %v, want broken.json and isSecret named", err)
	}
	if _, err := LoadManifests(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("a missing folder was accepted")
	}
}

func TestMaskSecret(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"abc":                  "***",
		"abcdefghijk":          "***********",
		"abcdefghijkl":         "abc******jkl",
		"dd-0123456789abcdef":  "dd-*************def",
		"ключ-секрет-длинный!": "клю**************ый!",
	} {
		if got := MaskSecret(in); got != want {
			t.Errorf("MaskSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckResourceSpecifier(t *testing.T) {
	good := []string{"acct", "proj/*", "proj/mobile:env/production:flag/*", "proj/*;ios,android:env/*:segment/beta-*",
		"member/*", "member/*:token/*", "proj/default:metric/*", "role/*", "integration/*", "proj/*:env/*:experiment/*"}
	bad := []string{"", "proj", "env/*", "proj/*:flag/*", "proj/my project", "acct:proj/*", "proj/*:", "proj/*;", "proj/*;a b", "flag/*", "proj/*:env/*:flag/*:env/*"}
	for _, s := range good {
		if msg := checkResourceSpecifier(s); msg != "" {
			t.Errorf("%q refused: %s", s, msg)
		}
	}
	for _, s := range bad {
		if msg := checkResourceSpecifier(s); msg == "" {
			t.Errorf("%q accepted, want refused", s)
		}
	}
	for s, ok := range map[string]bool{"*": true, "updateOn": true, "create*": true, "update on": false, "Update": false, "": false, "**": false} {
		if got := checkActionSpecifier(s) == ""; got != ok {
			t.Errorf("action %q accepted = %v, want %v", s, got, ok)
		}
	}
}

func TestConditionHolds(t *testing.T) {
	cases := []struct {
		op, want string
		value    any
		holds    bool
	}{
		{"equalTo", "basic", "basic", true},
		{"equalTo", "basic", "oauth", false},
		{"notEqual", "basic", "oauth", true},
		{"equalTo", "true", true, true},
		{"equalTo", "false", true, false},
		{"contains", "eu", "https://api.datadoghq.eu", true},
		{"startsWith", "https://", "https://x", true},
		{"endsWith", ".eu", "https://api.datadoghq.eu", true},
		{"lessThan", "10", "9", true},
		{"lessThan", "10", "10", false},
		{"lessThanOrEqualTo", "10", "10", true},
		{"greaterThan", "1.5", "2", true},
		{"greaterThanOrEqualTo", "2", "2", true},
		{"greaterThan", "1", "abc", false},
		{"contains", "b", []string{"a", "b"}, true},
		{"contains", "c", []string{"a", "b"}, false},
		{"equalTo", "", nil, true},
	}
	for _, tc := range cases {
		if got := conditionHolds(Condition{Operator: tc.op, Value: tc.want}, tc.value); got != tc.holds {
			t.Errorf("%v %s %q = %v, want %v", tc.value, tc.op, tc.want, got, tc.holds)
		}
	}
}

// TestValidate_DependsOnChain: a field hidden because the field it
// depends on is itself hidden is hidden too.
func TestValidate_DependsOnChain(t *testing.T) {
	var m Manifest
	err := json.Unmarshal([]byte(`{"key":"chain","name":"Chain","description":"d","formVariables":[
		{"key":"mode","name":"Mode","type":"enum","description":"d","allowedValues":["simple","advanced"],"isOptional":true,"defaultValue":"simple"},
		{"key":"proxy","name":"Use a proxy","type":"boolean","description":"d","isOptional":true,"defaultValue":true,
			"dependsOn":[{"variableKey":"mode","variableLocation":"formVariables","action":"showField","conditions":[{"operator":"equalTo","value":"advanced"}]}]},
		{"key":"proxyUrl","name":"Proxy URL","type":"uri","description":"d",
			"dependsOn":[{"variableKey":"proxy","variableLocation":"formVariables","action":"hideField","conditions":[{"operator":"equalTo","value":"false"}]},
			             {"variableKey":"mode","variableLocation":"formVariables","action":"showField","conditions":[{"operator":"notEqual","value":"simple"}]}]}
	]}`), &m)
	if err != nil {
		t.Fatal(err)
	}
	if p := checkFormVariables(m.FormVariables, "formVariables", "/formVariables"); len(p) > 0 {
		t.Fatalf("test manifest is bad: %v", p)
	}
	v, err := Validate(&m, &Input{Name: "x", ConfigValues: map[string]any{}})
	if err != nil {
		t.Fatalf("simple mode: %v", err)
	}
	if _, ok := v.Values["proxy"]; ok {
		t.Errorf("proxy is set in simple mode: %v", v.Values)
	}
	err = validateErr(&m, &Input{Name: "x", ConfigValues: map[string]any{"mode": "advanced"}})
	if e := sb.AsError(err); e == nil || e.Fields["configValues.proxyUrl"] != "is required" {
		t.Errorf("advanced mode with the default proxy on: %v, want proxyUrl required", err)
	}
	if err := validateErr(&m, &Input{Name: "x", ConfigValues: map[string]any{"mode": "advanced", "proxy": false}}); err != nil {
		t.Errorf("advanced mode without a proxy: %v, want accepted", err)
	}
}

// BenchmarkValidate measures the shared validator alone on a
// ServiceNow configuration (dependsOn, enum, uri, secret) with a statement.
func BenchmarkValidate(b *testing.B) {
	m, _ := ShippedManifests().Get("servicenow")
	dd, _ := ShippedManifests().Get("datadog")
	in := Input{Name: "bench", Tags: []string{"a", "b"}, ConfigValues: map[string]any{
		"instanceUrl": "https://acme.service-now.com", "authMethod": "basic", "username": "ld", "password": "sn-password-0123"}}
	hook := Input{Name: "bench", ConfigValues: map[string]any{"apiKey": "dd-0123456789abcdef"},
		CapabilityConfig: map[string]any{"auditLogEventsHook": map[string]any{"statements": []any{
			map[string]any{"effect": "allow", "resources": []any{"proj/*:env/production:flag/*"}, "actions": []any{"*"}}}}}}
	b.ReportAllocs()
	for b.Loop() {
		if err := validateErr(m, &in); err != nil {
			b.Fatal(err)
		}
		if err := validateErr(dd, &hook); err != nil {
			b.Fatal(err)
		}
	}
}

func validateErr(m *Manifest, in *Input) error {
	_, err := Validate(m, in)
	return err
}
