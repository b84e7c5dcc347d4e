package launchdarkly

import (
	"fmt"
	"slices"
	"strings"
)

// checkFormVariables applies the cross-field rules to a list of form
// variables; location is the dependsOn variableLocation that refers to the
// list itself, at is the JSON pointer of the list in problems.
func checkFormVariables(vars []FormVariable, location, at string) []string {
	var out []string
	seen := map[string]bool{}
	for i := range vars {
		f := &vars[i]
		where := fmt.Sprintf("%s/%d (%s)", at, i, f.Key)
		if seen[f.Key] {
			out = append(out, where+": key is used by an earlier form variable")
		}
		seen[f.Key] = true
		for _, p := range checkFormVariable(f) {
			out = append(out, where+": "+p)
		}
		for j, d := range f.DependsOn {
			dw := fmt.Sprintf("%s: dependsOn/%d", where, j)
			switch {
			case d.VariableLocation != location:
				out = append(out, fmt.Sprintf("%s: variableLocation %q is not supported here: dependsOn may refer only to %s", dw, d.VariableLocation, location))
			case d.VariableKey == f.Key:
				out = append(out, dw+": a form variable cannot depend on itself")
			default:
				found := false
				for k := range vars {
					found = found || vars[k].Key == d.VariableKey
				}
				if !found {
					out = append(out, fmt.Sprintf("%s: variableKey %q names no form variable of %s", dw, d.VariableKey, location))
				}
			}
		}
	}
	if len(out) == 0 {
		if cyc := dependsOnCycle(vars); cyc != "" {
			out = append(out, at+": dependsOn goes round in a circle: "+cyc)
		}
	}
	return out
}

// checkFormVariable applies the rules that span properties of one variable.
func checkFormVariable(f *FormVariable) []string {
	var out []string
	add := func(s string) { out = append(out, s) }
	if f.DefaultValue != nil && !f.IsOptional {
		add("defaultValue is set but isOptional is not true: a required field has no default")
	}
	if f.IsOptional && f.DefaultValue == nil && f.Type != FVMultiselect {
		add("isOptional is true but there is no defaultValue: an optional field needs one (only multiselect may go without)")
	}
	if f.IsSecret && f.Type != FVString {
		add(fmt.Sprintf("isSecret is only allowed on string variables, not on %s", f.Type))
	}
	if f.Type == FVEnum && len(f.AllowedValues) == 0 {
		add("type enum needs allowedValues")
	}
	if f.Type != FVEnum && f.AllowedValues != nil {
		add("allowedValues is only for type enum")
	}
	if f.Type == FVMultiselect && len(f.MultiselectOptions) == 0 {
		add("type multiselect needs multiselectOptions")
	}
	if f.Type != FVMultiselect && (f.MultiselectOptions != nil || f.MultiselectDefaultOptions != nil) {
		add("multiselectOptions and multiselectDefaultOptions are only for type multiselect")
	}
	if f.Type == FVMultiselect && f.DefaultValue != nil {
		add("a multiselect takes its default from multiselectDefaultOptions, not defaultValue")
	}
	if f.Type == FVDynamicEnum && f.DynamicOptions == nil {
		add("type dynamicEnum needs dynamicOptions")
	}
	if f.Type != FVDynamicEnum && f.DynamicOptions != nil {
		add("dynamicOptions is only for type dynamicEnum")
	}
	values := map[string]bool{}
	for _, o := range f.MultiselectOptions {
		if values[o.Value] {
			add(fmt.Sprintf("multiselectOptions has the value %q twice", o.Value))
		}
		values[o.Value] = true
	}
	for _, d := range f.MultiselectDefaultOptions {
		if !values[d] {
			add(fmt.Sprintf("multiselectDefaultOptions %q is not one of the multiselectOptions values", d))
		}
	}
	if dups := duplicates(f.AllowedValues); dups != "" {
		add("allowedValues has " + dups + " twice")
	}
	if f.DefaultValue != nil {
		switch dv := f.DefaultValue.(type) {
		case bool:
			if f.Type != FVBoolean {
				add(fmt.Sprintf("defaultValue is a boolean but the type is %s", f.Type))
			}
		case string:
			switch {
			case f.Type == FVBoolean:
				add("defaultValue of a boolean must be true or false, not a string")
			case f.Type == FVEnum && !slices.Contains(f.AllowedValues, dv):
				add(fmt.Sprintf("defaultValue %q is not one of allowedValues", dv))
			case f.Type == FVURI && dv != "" && !isHTTPURL(dv):
				add(fmt.Sprintf("defaultValue %q is not an absolute http(s) URL", dv))
			case f.Generated() && dv != "":
				add("defaultValue of a " + f.Type + " must be empty: Switchboard makes the value")
			}
		}
	}
	if f.Generated() && f.DisableAfterSaving {
		add("disableAfterSaving makes no sense on a " + f.Type + ": it is never edited")
	}
	return out
}

func duplicates(list []string) string {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			return fmt.Sprintf("%q", s)
		}
		seen[s] = true
	}
	return ""
}

// dependsOnCycle returns "a → b → a" when the variables' dependsOn refer
// round in a circle, else "".
func dependsOnCycle(vars []FormVariable) string {
	deps := map[string][]string{}
	for _, f := range vars {
		for _, d := range f.DependsOn {
			deps[f.Key] = append(deps[f.Key], d.VariableKey)
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var path []string
	var visit func(k string) string
	visit = func(k string) string {
		switch state[k] {
		case 1:
			i := slices.Index(path, k)
			return strings.Join(append(append([]string{}, path[i:]...), k), " → ")
		case 2:
			return ""
		}
		state[k] = 1
		path = append(path, k)
		for _, d := range deps[k] {
			if c := visit(d); c != "" {
				return c
			}
		}
		path = path[:len(path)-1]
		state[k] = 2
		return ""
	}
	for _, f := range vars {
		if c := visit(f.Key); c != "" {
			return c
		}
	}
	return ""
}
