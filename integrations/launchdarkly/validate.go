package launchdarkly

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	sb "switchboard"
)

// Validation of a LaunchDarkly integration configuration: its name, tags,
// configValues against the manifest's formVariables, and capabilityConfig.
// The JSON family and the form both build an Input that the create
// pipeline checks with Validate, so they cannot disagree. Field errors are keyed as the
// JSON body names the member ("configValues.apiKey",
// "capabilityConfig.auditLogEventsHook.statements[0].resources"), and the
// form names its inputs the same way.

// Input is what creating a configuration takes.
type Input struct {
	IntegrationKey string
	// TeamID is the team; empty means the caller's only team.
	TeamID  string
	Name    string
	Enabled *bool
	Tags    []string
	// ConfigValues as encoding/json decodes them, or as FormConfigValues
	// builds them from a form; nil means absent.
	ConfigValues map[string]any
	// CapabilityConfig as encoding/json decodes it; nil means none.
	CapabilityConfig map[string]any
}

// CapabilityConfig is a configuration's capabilityConfig, normalised.
type CapabilityConfig struct {
	Approvals          *Approvals          `json:"approvals,omitempty"`
	AuditLogEventsHook *AuditLogEventsHook `json:"auditLogEventsHook,omitempty"`
}

// Approvals is the approval capability's configuration.
type Approvals struct {
	AdditionalFormVariables []FormVariable `json:"additionalFormVariables"`
}

// AuditLogEventsHook is the audit log events hook's configuration.
type AuditLogEventsHook struct {
	Statements []Statement `json:"statements"`
}

// Statement selects audit log events: an effect, resources or
// notResources, actions or notActions.
type Statement struct {
	Effect       string   `json:"effect"`
	Resources    []string `json:"resources,omitempty"`
	NotResources []string `json:"notResources,omitempty"`
	Actions      []string `json:"actions,omitempty"`
	NotActions   []string `json:"notActions,omitempty"`
}

// Valid is a validated input: Values are the effective configValues
// (defaults applied, fields hidden by dependsOn dropped), without the
// generated ones, which the service makes.
type Valid struct {
	Name    string
	Enabled bool
	Tags    []string
	Values  map[string]any
	// Generate lists the generated and publicKey variables to make.
	Generate         []*FormVariable
	CapabilityConfig CapabilityConfig
}

// Limits of a configuration.
const (
	maxName        = 255
	maxTags        = 50
	maxTag         = 64
	maxString      = 4096
	maxStatements  = 50
	maxSpecifiers  = 100
	maxSpecifier   = 512
	maxAdditionals = 20
)

var tagRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// Validate checks in against manifest m and returns what a create or an
// edit stores; the form and the JSON family report its field errors.
func Validate(m *Manifest, in *Input) (*Valid, error) {
	v := sb.Validation{}
	out := &Valid{Enabled: true}
	out.Name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(out.Name); {
	case n == 0:
		v.Add("name", "is required")
	case n > maxName:
		v.Add("name", fmt.Sprintf("must be at most %d characters", maxName))
	}
	if in.Enabled != nil {
		out.Enabled = *in.Enabled
	}
	out.Tags = validateLDTags(v, in.Tags)
	if in.ConfigValues == nil {
		v.Add("configValues", "is required: an object with the integration's form variables")
	} else {
		out.Values, out.Generate = validateConfigValues(v, m.FormVariables, in.ConfigValues, "configValues")
	}
	out.CapabilityConfig = validateCapabilityConfig(v, m, in.CapabilityConfig)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func validateLDTags(v sb.Validation, tags []string) []string {
	out := []string{}
	if len(tags) > maxTags {
		v.Add("tags", fmt.Sprintf("at most %d tags", maxTags))
		return out
	}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			v.Add("tags", "a tag cannot be empty")
		case utf8.RuneCountInString(t) > maxTag:
			v.Add("tags", fmt.Sprintf("a tag is at most %d characters", maxTag))
		case !tagRE.MatchString(t):
			v.Add("tags", fmt.Sprintf("tag %q may hold only letters, digits, '.', '_', ':' and '-'", clip(t, 64)))
		case !slices.Contains(out, t):
			out = append(out, t)
		}
	}
	return out
}

// validateConfigValues checks raw against vars and returns the effective
// values and the variables Switchboard must generate. Unknown keys are
// refused; a field hidden by its dependsOn is dropped (its value ignored,
// never required); unsupported types take no value.
func validateConfigValues(v sb.Validation, vars []FormVariable, raw map[string]any, prefix string) (map[string]any, []*FormVariable) {
	byKey := map[string]*FormVariable{}
	for i := range vars {
		byKey[vars[i].Key] = &vars[i]
	}
	var unknown []string
	for k := range raw {
		if _, ok := byKey[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		v.Add(prefix+"."+clip(k, 40), "is not a form variable of this integration")
	}
	// Parse every given value first: visibility depends on them.
	parsed := map[string]any{}
	problems := map[string]string{}
	for i := range vars {
		f := &vars[i]
		given, ok := raw[f.Key]
		if !ok {
			continue
		}
		val, msg := checkFormValue(f, given)
		if msg != "" {
			problems[f.Key] = msg
			continue
		}
		if val != nil {
			parsed[f.Key] = val
		}
	}
	vis := newVisibility(vars, func(f *FormVariable) any {
		if val, ok := parsed[f.Key]; ok {
			return val
		}
		if f.Supported() && !f.Generated() && f.HasDefault() {
			return f.Default()
		}
		return nil
	})
	values := map[string]any{}
	var generate []*FormVariable
	for i := range vars {
		f := &vars[i]
		key := prefix + "." + f.Key
		_, given := raw[f.Key]
		if !vis.visible(f.Key) {
			continue
		}
		switch {
		case !f.Supported():
			if given && !IsBlank(raw[f.Key]) {
				v.Add(key, fmt.Sprintf("fields of type %s are not available in Switchboard yet: leave it out", f.Type))
			}
			continue
		case f.Generated():
			if given && !IsBlank(raw[f.Key]) {
				v.Add(key, "is made by Switchboard when the configuration is saved: leave it out")
			}
			generate = append(generate, f)
			continue
		}
		if msg, bad := problems[f.Key]; bad {
			v.Add(key, msg)
			continue
		}
		if val, ok := parsed[f.Key]; ok {
			values[f.Key] = val
			continue
		}
		if !f.IsOptional {
			v.Add(key, "is required")
			continue
		}
		if f.HasDefault() {
			values[f.Key] = f.Default()
		}
	}
	return values, generate
}

// checkFormValue validates one given value of a supported, caller-made
// variable. It returns the normalised value (nil: treat as omitted) or a
// message that never quotes a secret.
func checkFormValue(f *FormVariable, in any) (any, string) {
	if !f.Supported() || f.Generated() {
		return in, ""
	}
	if in == nil {
		return nil, ""
	}
	switch f.Type {
	case FVBoolean:
		b, ok := in.(bool)
		if !ok {
			return nil, "must be true or false, not " + jsonKind(in)
		}
		return b, ""
	case FVMultiselect:
		var items []string
		switch x := in.(type) {
		case []string:
			items = x
		case []any:
			for _, it := range x {
				s, ok := it.(string)
				if !ok {
					return nil, "must be a list of strings, not a list holding " + jsonKind(it)
				}
				items = append(items, s)
			}
		default:
			return nil, "must be a list of strings, not " + jsonKind(in)
		}
		out := []string{}
		for _, s := range items {
			ok := false
			for _, o := range f.MultiselectOptions {
				ok = ok || o.Value == s
			}
			if !ok {
				return nil, fmt.Sprintf("%q is not one of %s", clip(s, 64), quoteList(multiselectValues(f)))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out, ""
	}
	s, ok := in.(string)
	if !ok {
		return nil, "must be a string, not " + jsonKind(in)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		// Blank is omitted: a required field is then missing, an optional
		// one takes its default.
		return nil, ""
	}
	if utf8.RuneCountInString(s) > maxString {
		return nil, fmt.Sprintf("must be at most %d characters", maxString)
	}
	switch f.Type {
	case FVURI:
		if !isHTTPURL(s) {
			return nil, "must be an absolute http or https URL"
		}
	case FVEnum:
		if !slices.Contains(f.AllowedValues, s) {
			return nil, fmt.Sprintf("%q is not one of %s", clip(s, 64), quoteList(f.AllowedValues))
		}
	}
	return s, ""
}

func multiselectValues(f *FormVariable) []string {
	out := make([]string, len(f.MultiselectOptions))
	for i, o := range f.MultiselectOptions {
		out[i] = o.Value
	}
	return out
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
