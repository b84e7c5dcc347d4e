package integrations

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	sb "switchboard"
)

// Validation of a LaunchDarkly integration configuration: its name, tags,
// configValues against the manifest's formVariables, and capabilityConfig.
// The JSON family and the form both build an LDConfigInput and call
// ValidateLDConfig, so they cannot disagree. Field errors are keyed as the
// JSON body names the member ("configValues.apiKey",
// "capabilityConfig.auditLogEventsHook.statements[0].resources"), and the
// form names its inputs the same way.

// LDConfigInput is what creating a configuration takes.
type LDConfigInput struct {
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

	// Set by the provider's Validate for its Draft.
	manifest *Manifest
	valid    *ldValid
}

// LDCapabilityConfig is a configuration's capabilityConfig, normalised.
type LDCapabilityConfig struct {
	Approvals          *LDApprovals          `json:"approvals,omitempty"`
	AuditLogEventsHook *LDAuditLogEventsHook `json:"auditLogEventsHook,omitempty"`
}

// LDApprovals is the approval capability's configuration.
type LDApprovals struct {
	AdditionalFormVariables []FormVariable `json:"additionalFormVariables"`
}

// LDAuditLogEventsHook is the audit log events hook's configuration.
type LDAuditLogEventsHook struct {
	Statements []LDStatement `json:"statements"`
}

// LDStatement selects audit log events: an effect, resources or
// notResources, actions or notActions.
type LDStatement struct {
	Effect       string   `json:"effect"`
	Resources    []string `json:"resources,omitempty"`
	NotResources []string `json:"notResources,omitempty"`
	Actions      []string `json:"actions,omitempty"`
	NotActions   []string `json:"notActions,omitempty"`
}

// ldValid is a validated input: values are the effective configValues
// (defaults applied, fields hidden by dependsOn dropped), without the
// generated ones, which the service makes.
type ldValid struct {
	Name    string
	Enabled bool
	Tags    []string
	Values  map[string]any
	// Generate lists the generated and publicKey variables to make.
	Generate         []*FormVariable
	CapabilityConfig LDCapabilityConfig
}

// Limits of a configuration.
const (
	ldMaxName        = 255
	ldMaxTags        = 50
	ldMaxTag         = 64
	ldMaxString      = 4096
	ldMaxStatements  = 50
	ldMaxSpecifiers  = 100
	ldMaxSpecifier   = 512
	ldMaxAdditionals = 20
)

var ldTagRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// ValidateLDConfig checks in against manifest m, as a create does; the
// form and the JSON family report its field errors.
func ValidateLDConfig(m *Manifest, in *LDConfigInput) error {
	_, err := validateLDConfig(m, in)
	return err
}

// validateLDConfig checks in and returns what a create or an edit stores.
func validateLDConfig(m *Manifest, in *LDConfigInput) (*ldValid, error) {
	v := sb.Validation{}
	out := &ldValid{Enabled: true}
	out.Name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(out.Name); {
	case n == 0:
		v.Add("name", "is required")
	case n > ldMaxName:
		v.Add("name", fmt.Sprintf("must be at most %d characters", ldMaxName))
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
	if len(tags) > ldMaxTags {
		v.Add("tags", fmt.Sprintf("at most %d tags", ldMaxTags))
		return out
	}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			v.Add("tags", "a tag cannot be empty")
		case utf8.RuneCountInString(t) > ldMaxTag:
			v.Add("tags", fmt.Sprintf("a tag is at most %d characters", ldMaxTag))
		case !ldTagRE.MatchString(t):
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
			if given && !isBlank(raw[f.Key]) {
				v.Add(key, fmt.Sprintf("fields of type %s are not available in Switchboard yet: leave it out", f.Type))
			}
			continue
		case f.Generated():
			if given && !isBlank(raw[f.Key]) {
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

func isBlank(x any) bool { return x == nil || x == "" }

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
	if utf8.RuneCountInString(s) > ldMaxString {
		return nil, fmt.Sprintf("must be at most %d characters", ldMaxString)
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

func validateCapabilityConfig(v sb.Validation, m *Manifest, raw map[string]any) LDCapabilityConfig {
	var out LDCapabilityConfig
	for k := range raw {
		if k != "approvals" && k != "auditLogEventsHook" {
			v.Add("capabilityConfig."+clip(k, 40), "is not a capability configuration: use approvals or auditLogEventsHook")
		}
	}
	if a, ok := raw["approvals"]; ok && a != nil {
		out.Approvals = validateApprovals(v, m, a)
	}
	if h, ok := raw["auditLogEventsHook"]; ok && h != nil {
		out.AuditLogEventsHook = validateAuditHook(v, m, h)
	}
	return out
}

// capabilityObject checks that m declares capability and that raw is an
// object holding only members; the failures go to v under at.
func capabilityObject(v sb.Validation, m *Manifest, at, capability, name string, raw any, members ...string) (map[string]any, bool) {
	if !m.HasCapability(capability) {
		v.Add(at, m.Name+" has no "+name)
		return nil, false
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		v.Add(at, "must be an object, not "+jsonKind(raw))
		return nil, false
	}
	for k := range obj {
		if !slices.Contains(members, k) {
			v.Add(at+"."+clip(k, 40), "is not a member of "+at[strings.LastIndex(at, ".")+1:])
		}
	}
	return obj, true
}

func validateApprovals(v sb.Validation, m *Manifest, raw any) *LDApprovals {
	const at = "capabilityConfig.approvals"
	obj, ok := capabilityObject(v, m, at, CapabilityApproval, "approval capability", raw, "additionalFormVariables")
	if !ok {
		return nil
	}
	field := at + ".additionalFormVariables"
	list, ok := obj["additionalFormVariables"].([]any)
	if _, present := obj["additionalFormVariables"]; present && !ok {
		v.Add(field, "must be a list of form variables, not "+jsonKind(obj["additionalFormVariables"]))
		return nil
	}
	if len(list) > ldMaxAdditionals {
		v.Add(field, fmt.Sprintf("at most %d form variables", ldMaxAdditionals))
		return nil
	}
	out := &LDApprovals{AdditionalFormVariables: []FormVariable{}}
	var problems []string
	for i, item := range list {
		b, _ := json.Marshal(item)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			problems = append(problems, fmt.Sprintf("[%d]: not valid JSON", i))
			continue
		}
		if p := schemaProblems(formVariableSchema, doc); len(p) > 0 {
			for _, s := range p {
				problems = append(problems, fmt.Sprintf("[%d]%s", i, strings.TrimPrefix(s, "/")))
			}
			continue
		}
		var fv FormVariable
		if err := json.Unmarshal(b, &fv); err != nil {
			problems = append(problems, fmt.Sprintf("[%d]: %v", i, err))
			continue
		}
		out.AdditionalFormVariables = append(out.AdditionalFormVariables, fv)
	}
	if len(problems) == 0 {
		problems = checkFormVariables(out.AdditionalFormVariables, "approvalFormVariables", "")
	}
	if len(problems) > 0 {
		v.Add(field, strings.Join(problems, "; "))
		return nil
	}
	return out
}

func validateAuditHook(v sb.Validation, m *Manifest, raw any) *LDAuditLogEventsHook {
	const at = "capabilityConfig.auditLogEventsHook"
	obj, ok := capabilityObject(v, m, at, CapabilityAuditLogEventsHook, "audit log events hook capability", raw, "statements")
	if !ok {
		return nil
	}
	out := &LDAuditLogEventsHook{Statements: []LDStatement{}}
	rawList, present := obj["statements"]
	if !present || rawList == nil {
		return out
	}
	list, ok := rawList.([]any)
	if !ok {
		v.Add(at+".statements", "must be a list of statements, not "+jsonKind(rawList))
		return nil
	}
	if len(list) > ldMaxStatements {
		v.Add(at+".statements", fmt.Sprintf("at most %d statements", ldMaxStatements))
		return nil
	}
	for i, item := range list {
		st, ok := validateStatement(v, fmt.Sprintf("%s.statements[%d]", at, i), item)
		if ok {
			out.Statements = append(out.Statements, st)
		}
	}
	return out
}

func validateStatement(v sb.Validation, at string, raw any) (LDStatement, bool) {
	var st LDStatement
	obj, ok := raw.(map[string]any)
	if !ok {
		v.Add(at, "must be an object, not "+jsonKind(raw))
		return st, false
	}
	before := len(v)
	for k := range obj {
		switch k {
		case "effect", "resources", "notResources", "actions", "notActions":
		default:
			v.Add(at+"."+clip(k, 40), "is not a member of a statement")
		}
	}
	switch e := obj["effect"].(type) {
	case string:
		if e != "allow" && e != "deny" {
			v.Add(at+".effect", fmt.Sprintf("%q is not allow or deny", clip(e, 40)))
		}
		st.Effect = e
	case nil:
		v.Add(at+".effect", "is required: allow or deny")
	default:
		v.Add(at+".effect", "must be a string, allow or deny")
	}
	st.Resources = specifierList(v, at+".resources", obj["resources"], checkResourceSpecifier)
	st.NotResources = specifierList(v, at+".notResources", obj["notResources"], checkResourceSpecifier)
	st.Actions = specifierList(v, at+".actions", obj["actions"], checkActionSpecifier)
	st.NotActions = specifierList(v, at+".notActions", obj["notActions"], checkActionSpecifier)
	switch {
	case len(st.Resources) > 0 && len(st.NotResources) > 0:
		v.Add(at+".notResources", "give resources or notResources, not both")
	case len(st.Resources) == 0 && len(st.NotResources) == 0:
		v.Add(at+".resources", "give resources or notResources (one resource specifier at least)")
	}
	switch {
	case len(st.Actions) > 0 && len(st.NotActions) > 0:
		v.Add(at+".notActions", "give actions or notActions, not both")
	case len(st.Actions) == 0 && len(st.NotActions) == 0:
		v.Add(at+".actions", "give actions or notActions (\"*\" for every action)")
	}
	return st, len(v) == before
}

// specifierList reads a list of specifier strings, checking each.
func specifierList(v sb.Validation, at string, raw any, check func(string) string) []string {
	if raw == nil {
		return nil
	}
	var items []string
	switch x := raw.(type) {
	case []string:
		items = x
	case []any:
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				v.Add(at, "must be a list of strings")
				return nil
			}
			items = append(items, s)
		}
	default:
		v.Add(at, "must be a list of strings, not "+jsonKind(raw))
		return nil
	}
	if len(items) > ldMaxSpecifiers {
		v.Add(at, fmt.Sprintf("at most %d entries", ldMaxSpecifiers))
		return nil
	}
	out := []string{}
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if msg := check(s); msg != "" {
			v.Add(at, fmt.Sprintf("%q %s", clip(s, 80), msg))
			return nil
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Resource specifiers are "type/name[;tag,tag]" segments joined by ":",
// each type a child of the one before: proj/*:env/production:flag/*. Names
// are keys or globs; "acct" stands alone.
var (
	ldResourceChildren = map[string][]string{
		"":       {"acct", "proj", "member", "role", "team", "integration", "webhook", "service-token", "relay-proxy-config", "code-reference-repository", "application", "domain-verification", "template"},
		"proj":   {"env", "metric", "metric-group", "release-pipeline", "layer", "context-kind", "view"},
		"env":    {"flag", "segment", "experiment", "destination", "ai-config"},
		"member": {"token"},
	}
	ldNameRE   = regexp.MustCompile(`^[A-Za-z0-9._~*-]+$`)
	ldTagsRE   = regexp.MustCompile(`^[A-Za-z0-9._:-]+(,[A-Za-z0-9._:-]+)*$`)
	ldActionRE = regexp.MustCompile(`^(\*|[a-z][A-Za-z0-9]*\*?)$`)
)

// checkResourceSpecifier returns why s is not a resource specifier, or "".
func checkResourceSpecifier(s string) string {
	if len(s) > ldMaxSpecifier {
		return fmt.Sprintf("is longer than %d characters", ldMaxSpecifier)
	}
	parent := ""
	// A tag list may hold ":" inside a segment only after ";": split on ":"
	// that starts a new "type/" or "acct".
	for i, seg := range strings.Split(s, ":") {
		if seg == "acct" {
			if i != 0 || strings.Count(s, ":") > 0 {
				return "is not a resource specifier: acct stands alone"
			}
			return ""
		}
		typ, rest, ok := strings.Cut(seg, "/")
		if !ok {
			return fmt.Sprintf("is not a resource specifier: segment %q is not type/name", clip(seg, 40))
		}
		if !slices.Contains(ldResourceChildren[parent], typ) {
			if parent == "" {
				return fmt.Sprintf("is not a resource specifier: %q cannot come first (one of %s)", clip(typ, 40), strings.Join(ldResourceChildren[""], ", "))
			}
			return fmt.Sprintf("is not a resource specifier: %q cannot follow %s (one of %s)", clip(typ, 40), parent, strings.Join(ldResourceChildren[parent], ", "))
		}
		name, tags, hasTags := strings.Cut(rest, ";")
		if !ldNameRE.MatchString(name) {
			return fmt.Sprintf("is not a resource specifier: %q is not a key or a glob", clip(name, 40))
		}
		if hasTags && !ldTagsRE.MatchString(tags) {
			return "is not a resource specifier: the tags after ';' must be a comma-separated list"
		}
		parent = typ
	}
	return ""
}

// checkActionSpecifier returns why s is not an action, or "".
func checkActionSpecifier(s string) string {
	if !ldActionRE.MatchString(s) || len(s) > 100 {
		return "is not an action: use \"*\" or an action name such as updateOn"
	}
	return ""
}

// ---- masking ----

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
