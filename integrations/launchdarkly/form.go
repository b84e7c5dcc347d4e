package launchdarkly

import (
	"slices"
	"strconv"
	"strings"
)

// visibility evaluates dependsOn: a field with showField entries is shown
// only when every one of them holds; a hideField entry that holds hides it.
// A field whose dependee is hidden sees the dependee as empty.
type visibility struct {
	vars  map[string]*FormVariable
	value func(*FormVariable) any
	memo  map[string]bool
}

func newVisibility(vars []FormVariable, value func(*FormVariable) any) *visibility {
	m := map[string]*FormVariable{}
	for i := range vars {
		m[vars[i].Key] = &vars[i]
	}
	return &visibility{vars: m, value: value, memo: map[string]bool{}}
}

func (vz *visibility) visible(key string) bool {
	if v, ok := vz.memo[key]; ok {
		return v
	}
	vz.memo[key] = true // manifests are checked free of cycles; this only guards
	f, ok := vz.vars[key]
	if !ok {
		return false
	}
	shown := true
	for _, d := range f.DependsOn {
		var dv any
		if dep, ok := vz.vars[d.VariableKey]; ok && vz.visible(d.VariableKey) {
			dv = vz.value(dep)
		}
		holds := true
		for _, c := range d.Conditions {
			holds = holds && conditionHolds(c, dv)
		}
		if (d.Action == "showField" && !holds) || (d.Action == "hideField" && holds) {
			shown = false
		}
	}
	vz.memo[key] = shown
	return shown
}

// conditionHolds evaluates one condition against a value: strings and
// booleans compare as text ("true"/"false"), a list "contains" a member,
// and the ordering operators compare numbers (false when either side is not one).
func conditionHolds(c Condition, v any) bool {
	if list, ok := v.([]string); ok {
		switch c.Operator {
		case "contains":
			return slices.Contains(list, c.Value)
		case "equalTo":
			return strings.Join(list, ",") == c.Value
		case "notEqual":
			return strings.Join(list, ",") != c.Value
		}
		return false
	}
	s := ""
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		s = strconv.FormatBool(x)
	}
	switch c.Operator {
	case "equalTo":
		return s == c.Value
	case "notEqual":
		return s != c.Value
	case "contains":
		return strings.Contains(s, c.Value)
	case "startsWith":
		return strings.HasPrefix(s, c.Value)
	case "endsWith":
		return strings.HasSuffix(s, c.Value)
	}
	a, err1 := strconv.ParseFloat(strings.TrimSpace(s), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSpace(c.Value), 64)
	if err1 != nil || err2 != nil {
		return false
	}
	switch c.Operator {
	case "lessThan":
		return a < b
	case "lessThanOrEqualTo":
		return a <= b
	case "greaterThan":
		return a > b
	case "greaterThanOrEqualTo":
		return a >= b
	}
	return false
}

// VisibleVariables reports, for a form, which variables of m are shown
// given the values typed so far (defaults for the others).
func VisibleVariables(m *Manifest, values map[string]any) map[string]bool {
	vz := newVisibility(m.FormVariables, func(f *FormVariable) any {
		if val, ok := values[f.Key]; ok {
			if p, msg := checkFormValue(f, val); msg == "" && p != nil {
				return p
			}
		}
		if f.HasDefault() {
			return f.Default()
		}
		return nil
	})
	out := map[string]bool{}
	for _, f := range m.FormVariables {
		out[f.Key] = vz.visible(f.Key)
	}
	return out
}

// ---- capabilityConfig ----

// MaskSecret masks a secret config value as LaunchDarkly does: the first
// and last three characters kept and the rest replaced by "*"; values
// shorter than 12 characters are masked entirely, so at most half of a
// value ever shows.
func MaskSecret(s string) string {
	r := []rune(s)
	if len(r) < 12 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-3:])
}

// ---- forms ----

// FormConfigValues turns a submitted form into configValues as the JSON
// family would carry them: inputs named prefix+key; booleans from
// "true"/"false" (the last value wins, so a hidden "false" before a
// checkbox works), multiselects from every non-empty value (an empty value
// marks the list present), and strings as typed. Keys that are no form
// variable are kept, so the validator refuses them as it refuses them in
// JSON.
func FormConfigValues(m *Manifest, form map[string][]string, prefix string) map[string]any {
	out := map[string]any{}
	for name, vals := range form {
		key, ok := strings.CutPrefix(name, prefix)
		if !ok || len(vals) == 0 {
			continue
		}
		f, known := m.Variable(key)
		switch {
		case known && f.Type == FVMultiselect:
			list := []string{}
			for _, s := range vals {
				if s != "" {
					list = append(list, s)
				}
			}
			out[key] = list
		case known && f.Type == FVBoolean:
			switch last := vals[len(vals)-1]; last {
			case "true", "on":
				out[key] = true
			case "false":
				out[key] = false
			default:
				out[key] = last
			}
		default:
			out[key] = vals[len(vals)-1]
		}
	}
	return out
}
