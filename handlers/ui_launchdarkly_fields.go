package handlers

import (
	"encoding/json"
	"fmt"
	"strings"

	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
	"switchboard/views"
)

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// ldFields renders the manifest's visible form variables with the values
// typed so far (never a secret's).
func ldFields(m *launchdarkly.Manifest, typed map[string]any, fresh bool, stored *integrations.LDConfig) []views.LDField {
	visible := launchdarkly.VisibleVariables(m, typed)
	out := []views.LDField{}
	for i := range m.FormVariables {
		f := &m.FormVariables[i]
		if f.IsHidden {
			continue
		}
		x := views.LDField{Key: f.Key, Name: f.Name, Description: f.Description, Placeholder: f.Placeholder, Type: f.Type,
			Required: !f.IsOptional, Optional: f.IsOptional, Hidden: !visible[f.Key]}
		val, given := typed[f.Key]
		if !given || fresh {
			val = f.Default()
		}
		switch {
		case !f.Supported():
			x.Input, x.Required = "unavailable", false
		case f.Generated():
			x.Input, x.Required = "generated", false
		case f.Type == launchdarkly.FVBoolean:
			x.Input, x.Required = "checkbox", false
			x.Checked, _ = val.(bool)
		case f.Type == launchdarkly.FVEnum:
			x.Input = "select"
			for _, a := range f.AllowedValues {
				x.Options = append(x.Options, views.Option{Value: a, Label: a})
			}
			x.Value, _ = val.(string)
		case f.Type == launchdarkly.FVMultiselect:
			x.Input, x.Required = "multiselect", false
			for _, o := range f.MultiselectOptions {
				x.Options = append(x.Options, views.Option{Value: o.Value, Label: o.Label})
			}
			switch l := val.(type) {
			case []string:
				x.Selected = l
			}
		case f.IsSecret:
			x.Input = "password"
		case f.Type == launchdarkly.FVURI:
			x.Input = "url"
			x.Value, _ = val.(string)
		default:
			x.Input = "text"
			x.Value, _ = val.(string)
		}
		if stored != nil {
			sv, has := stored.ConfigValues[f.Key]
			switch {
			case f.Generated() && has:
				x.Value = fmt.Sprint(sv)
			case f.IsSecret && stored.IsSecretValue(f.Key):
				x.Stored = true
			}
			if f.DisableAfterSaving && has && !f.Generated() {
				x.Input, x.Locked, x.Required = "text", true, false
				x.Value = fmt.Sprint(sv)
			}
		}
		if len(f.DependsOn) > 0 {
			b, _ := json.Marshal(f.DependsOn)
			x.Depends = string(b)
			x.DependsHint = dependsHint(m, f)
			// A field that may be hidden is never required by the browser:
			// the server decides, with the values it gets.
			x.Required = false
		}
		out = append(out, x)
	}
	return out
}

// dependsHint says in words when a field is used.
func dependsHint(m *launchdarkly.Manifest, f *launchdarkly.FormVariable) string {
	var parts []string
	for _, d := range f.DependsOn {
		name := d.VariableKey
		if dep, ok := m.Variable(d.VariableKey); ok {
			name = dep.Name
		}
		var conds []string
		for _, c := range d.Conditions {
			conds = append(conds, fmt.Sprintf("%s %s %q", name, operatorWords(c.Operator), c.Value))
		}
		verb := "Used only when "
		if d.Action == "hideField" {
			verb = "Not used when "
		}
		parts = append(parts, verb+strings.Join(conds, " and ")+".")
	}
	return strings.Join(parts, " ")
}

func operatorWords(op string) string {
	switch op {
	case "equalTo":
		return "is"
	case "notEqual":
		return "is not"
	case "contains":
		return "contains"
	case "startsWith":
		return "starts with"
	case "endsWith":
		return "ends with"
	case "lessThan":
		return "is less than"
	case "lessThanOrEqualTo":
		return "is at most"
	case "greaterThan":
		return "is greater than"
	case "greaterThanOrEqualTo":
		return "is at least"
	}
	return op
}

func ldCards(set *launchdarkly.ManifestSet) []views.LDCard {
	var out []views.LDCard
	for _, m := range set.All() {
		c := views.LDCard{Key: m.Key, Name: m.Name, Description: m.Description, Capabilities: m.Capabilities}
		for _, f := range m.FormVariables {
			if !f.Supported() && !strings.Contains(strings.Join(c.Unavailable, ","), f.Type) {
				c.Unavailable = append(c.Unavailable, f.Type)
			}
		}
		out = append(out, c)
	}
	return out
}
