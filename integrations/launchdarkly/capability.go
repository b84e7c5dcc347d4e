package launchdarkly

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	sb "switchboard"
)

func validateCapabilityConfig(v sb.Validation, m *Manifest, raw map[string]any) CapabilityConfig {
	var out CapabilityConfig
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

func validateApprovals(v sb.Validation, m *Manifest, raw any) *Approvals {
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
	if len(list) > maxAdditionals {
		v.Add(field, fmt.Sprintf("at most %d form variables", maxAdditionals))
		return nil
	}
	out := &Approvals{AdditionalFormVariables: []FormVariable{}}
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

func validateAuditHook(v sb.Validation, m *Manifest, raw any) *AuditLogEventsHook {
	const at = "capabilityConfig.auditLogEventsHook"
	obj, ok := capabilityObject(v, m, at, CapabilityAuditLogEventsHook, "audit log events hook capability", raw, "statements")
	if !ok {
		return nil
	}
	out := &AuditLogEventsHook{Statements: []Statement{}}
	rawList, present := obj["statements"]
	if !present || rawList == nil {
		return out
	}
	list, ok := rawList.([]any)
	if !ok {
		v.Add(at+".statements", "must be a list of statements, not "+jsonKind(rawList))
		return nil
	}
	if len(list) > maxStatements {
		v.Add(at+".statements", fmt.Sprintf("at most %d statements", maxStatements))
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

func validateStatement(v sb.Validation, at string, raw any) (Statement, bool) {
	var st Statement
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
	if len(items) > maxSpecifiers {
		v.Add(at, fmt.Sprintf("at most %d entries", maxSpecifiers))
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
	resourceChildren = map[string][]string{
		"":       {"acct", "proj", "member", "role", "team", "integration", "webhook", "service-token", "relay-proxy-config", "code-reference-repository", "application", "domain-verification", "template"},
		"proj":   {"env", "metric", "metric-group", "release-pipeline", "layer", "context-kind", "view"},
		"env":    {"flag", "segment", "experiment", "destination", "ai-config"},
		"member": {"token"},
	}
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9._~*-]+$`)
	tagsRE   = regexp.MustCompile(`^[A-Za-z0-9._:-]+(,[A-Za-z0-9._:-]+)*$`)
	actionRE = regexp.MustCompile(`^(\*|[a-z][A-Za-z0-9]*\*?)$`)
)

// checkResourceSpecifier returns why s is not a resource specifier, or "".
func checkResourceSpecifier(s string) string {
	if len(s) > maxSpecifier {
		return fmt.Sprintf("is longer than %d characters", maxSpecifier)
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
		if !slices.Contains(resourceChildren[parent], typ) {
			if parent == "" {
				return fmt.Sprintf("is not a resource specifier: %q cannot come first (one of %s)", clip(typ, 40), strings.Join(resourceChildren[""], ", "))
			}
			return fmt.Sprintf("is not a resource specifier: %q cannot follow %s (one of %s)", clip(typ, 40), parent, strings.Join(resourceChildren[parent], ", "))
		}
		name, tags, hasTags := strings.Cut(rest, ";")
		if !nameRE.MatchString(name) {
			return fmt.Sprintf("is not a resource specifier: %q is not a key or a glob", clip(name, 40))
		}
		if hasTags && !tagsRE.MatchString(tags) {
			return "is not a resource specifier: the tags after ';' must be a comma-separated list"
		}
		parent = typ
	}
	return ""
}

// checkActionSpecifier returns why s is not an action, or "".
func checkActionSpecifier(s string) string {
	if !actionRE.MatchString(s) || len(s) > 100 {
		return "is not an action: use \"*\" or an action name such as updateOn"
	}
	return ""
}

// ---- masking ----
