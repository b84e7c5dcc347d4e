package launchdarkly

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	sb "switchboard"
)

// PatchOp is one operation of a JSON Patch (RFC 6902), as LaunchDarkly's
// PATCH /api/v2/integration-configurations/{id} takes them.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
	// HasValue tells a null value from none (remove takes none).
	HasValue bool `json:"-"`
}

// keptSecret stands for a stored secret in the document a patch sees.
type keptSecret struct{}

// jsonRoundTrip copies v into out through JSON.
func jsonRoundTrip(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// patchable are the members a patch may touch.
var patchable = map[string]bool{"name": true, "enabled": true, "tags": true, "configValues": true, "capabilityConfig": true}

// Patch applies a JSON Patch (add, replace, remove, test) to the name,
// enabled, tags, configValues and capabilityConfig of the saved
// configuration cur and returns the input an edit then saves (Edit): a
// secret value is replaced only by a patch that names it, and the edit
// validates the whole result against the manifest. Errors name the
// operation ("patch[1].path") or the field, as a create's do.
func Patch(cur *Stored, ops []PatchOp) (*Input, error) {
	v := sb.Validation{}
	if len(ops) == 0 {
		v.Add("patch", "give at least one operation")
	}
	// The document a patch sees: a stored secret is a placeholder (its mask
	// is not its value), so a patch can replace a secret but never read one.
	values := map[string]any{}
	for k, val := range cur.ConfigValues {
		values[k] = val
		if cur.IsSecretValue(k) {
			values[k] = keptSecret{}
		}
	}
	tags := make([]any, len(cur.Tags))
	for i, t := range cur.Tags {
		tags[i] = t
	}
	capability := map[string]any{}
	if err := jsonRoundTrip(cur.CapabilityConfig, &capability); err != nil {
		return nil, sb.Internal(err)
	}
	doc := map[string]any{"name": cur.Name, "enabled": cur.Enabled, "tags": tags, "configValues": values, "capabilityConfig": capability}
	for i, op := range ops {
		at := fmt.Sprintf("patch[%d]", i)
		parts, perr := splitPointer(op.Path)
		switch {
		case perr != "":
			v.Add(at+".path", perr)
			continue
		case len(parts) == 0 || !patchable[parts[0]]:
			v.Add(at+".path", "must start with /name, /enabled, /tags, /configValues or /capabilityConfig")
			continue
		}
		if msg := applyPatchOp(doc, parts, op); msg != "" {
			v.Add(at, msg)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return patchedInput(v, cur, doc)
}

// patchedInput reads a patched document back into an edit's input.
func patchedInput(v sb.Validation, cur *Stored, doc map[string]any) (*Input, error) {
	in := Input{IntegrationKey: cur.IntegrationKey}
	if name, ok := doc["name"].(string); ok {
		in.Name = name
	} else {
		v.Add("name", "must be a string")
	}
	switch e := doc["enabled"].(type) {
	case bool:
		in.Enabled = &e
	case nil:
	default:
		v.Add("enabled", "must be true or false")
	}
	switch t := doc["tags"].(type) {
	case []any:
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				v.Add("tags", "must be a list of strings")
				break
			}
			in.Tags = append(in.Tags, s)
		}
	case nil:
	default:
		v.Add("tags", "must be a list of strings")
	}
	if cv, ok := doc["configValues"].(map[string]any); ok {
		for _, k := range cur.Secrets {
			switch cv[k].(type) {
			case keptSecret:
				delete(cv, k) // left alone: Edit keeps the stored value
			case nil:
				if _, present := cv[k]; !present {
					v.Add("configValues."+k, "a stored secret cannot be removed: replace it")
				}
			}
		}
		in.ConfigValues = cv
	} else {
		v.Add("configValues", "must be an object")
	}
	switch cc := doc["capabilityConfig"].(type) {
	case map[string]any:
		in.CapabilityConfig = cc
	case nil:
	default:
		v.Add("capabilityConfig", "must be an object")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &in, nil
}

// splitPointer splits a JSON Pointer into its unescaped tokens.
func splitPointer(p string) ([]string, string) {
	if p == "" || p[0] != '/' {
		return nil, "must be a JSON Pointer such as /enabled"
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, ""
}

// applyPatchOp applies one operation to doc in place and returns why it
// cannot be applied, or "".
func applyPatchOp(doc map[string]any, parts []string, op PatchOp) string {
	switch op.Op {
	case "add", "replace", "test":
		if !op.HasValue {
			return op.Op + " needs a value"
		}
	case "remove":
	default:
		return fmt.Sprintf("op %q is not one of add, replace, remove, test", clip(op.Op, 20))
	}
	// Walk to the parent of the last token.
	var parent any = doc
	for _, tok := range parts[:len(parts)-1] {
		switch p := parent.(type) {
		case map[string]any:
			next, ok := p[tok]
			if !ok {
				return fmt.Sprintf("path %q does not exist", "/"+strings.Join(parts, "/"))
			}
			parent = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(p) {
				return fmt.Sprintf("path %q does not exist", "/"+strings.Join(parts, "/"))
			}
			parent = p[i]
		default:
			return fmt.Sprintf("path %q does not exist", "/"+strings.Join(parts, "/"))
		}
	}
	last := parts[len(parts)-1]
	switch p := parent.(type) {
	case map[string]any:
		cur, exists := p[last]
		switch op.Op {
		case "add":
			p[last] = op.Value
		case "replace":
			if !exists {
				return fmt.Sprintf("path %q does not exist: use add", "/"+strings.Join(parts, "/"))
			}
			p[last] = op.Value
		case "remove":
			if !exists {
				return fmt.Sprintf("path %q does not exist", "/"+strings.Join(parts, "/"))
			}
			if len(parts) == 1 {
				return "the top-level members cannot be removed: replace them"
			}
			delete(p, last)
		case "test":
			if !exists || !SameValue(cur, op.Value) {
				return fmt.Sprintf("test failed: %q does not hold the given value", "/"+strings.Join(parts, "/"))
			}
		}
		return ""
	case []any:
		// Arrays are only reached through the parent map, so a change to
		// their length must be written back there.
		return patchArray(doc, parts, p, last, op)
	}
	return fmt.Sprintf("path %q does not exist", "/"+strings.Join(parts, "/"))
}

// patchArray applies op to the list at parts[:len(parts)-1].
func patchArray(doc map[string]any, parts []string, list []any, last string, op PatchOp) string {
	path := "/" + strings.Join(parts, "/")
	i := len(list)
	if last != "-" {
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 || n > len(list) || (op.Op != "add" && n == len(list)) {
			return fmt.Sprintf("path %q does not exist", path)
		}
		i = n
	} else if op.Op != "add" {
		return fmt.Sprintf("path %q: \"-\" is only for add", path)
	}
	var out []any
	switch op.Op {
	case "add":
		out = append(append(append([]any{}, list[:i]...), op.Value), list[i:]...)
	case "replace":
		out = append([]any{}, list...)
		out[i] = op.Value
	case "remove":
		out = append(append([]any{}, list[:i]...), list[i+1:]...)
	case "test":
		if !SameValue(list[i], op.Value) {
			return fmt.Sprintf("test failed: %q does not hold the given value", path)
		}
		return ""
	}
	// Write the new list back into its parent.
	var parent any = doc
	for _, tok := range parts[:len(parts)-2] {
		switch p := parent.(type) {
		case map[string]any:
			parent = p[tok]
		case []any:
			n, _ := strconv.Atoi(tok)
			parent = p[n]
		}
	}
	key := parts[len(parts)-2]
	switch p := parent.(type) {
	case map[string]any:
		p[key] = out
	case []any:
		n, _ := strconv.Atoi(key)
		p[n] = out
	}
	return ""
}
