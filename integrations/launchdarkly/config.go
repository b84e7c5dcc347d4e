// Package launchdarkly is what Switchboard knows of LaunchDarkly
// integration configurations apart from storing them: the integrations'
// manifests (shipped ones embedded, an organisation's own read from a
// folder, each checked against manifest.schema.json and the rules that
// span properties), the validation of a configuration's name, tags,
// configValues and capabilityConfig against its manifest, what an edit
// keeps, JSON Patch, and the helpers of the form. It knows nothing of the
// store, sealing or HTTP: the integrations package's LaunchDarkly
// provider calls it, and the form and the JSON family share it.
package launchdarkly

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	sb "switchboard"
)

// Stored is a saved configuration's values as responses show them: secret
// configValues masked, their keys listed in Secrets.
type Stored struct {
	IntegrationKey string
	Name           string
	Enabled        bool
	Tags           []string
	// ConfigValues holds every value; secret ones masked (MaskSecret).
	ConfigValues     map[string]any
	CapabilityConfig CapabilityConfig
	// Secrets lists the keys of the secret values that are stored.
	Secrets []string
}

// IsSecretValue reports whether key is a stored secret of c (its value in
// ConfigValues is a mask).
func (c *Stored) IsSecretValue(key string) bool { return slices.Contains(c.Secrets, key) }

// Edit validates in as the new values of the saved configuration cur
// (whose secret values, opened, are sealed), as a create validates, with
// what an edit keeps: a secret left empty keeps its stored value, a
// disableAfterSaving variable cannot change, an isHidden variable left out
// keeps its value (automation sets those), and generated values are never
// given: they are made once and kept.
func Edit(m *Manifest, cur *Stored, sealed map[string]string, in Input) (*Valid, error) {
	v := sb.Validation{}
	raw := map[string]any{}
	for k, val := range in.ConfigValues {
		raw[k] = val
	}
	for i := range m.FormVariables {
		f := &m.FormVariables[i]
		given, ok := raw[f.Key]
		stored, hasStored := cur.ConfigValues[f.Key]
		switch {
		case f.Generated():
			if ok && !IsBlank(given) && !SameValue(given, stored) {
				v.Add("configValues."+f.Key, "is made by Switchboard and cannot be changed")
			}
			delete(raw, f.Key)
		case f.IsSecret:
			if !ok || IsBlank(given) {
				if sv, kept := sealed[f.Key]; kept {
					raw[f.Key] = sv
				}
			}
			if f.DisableAfterSaving && ok && !IsBlank(given) && given != sealed[f.Key] {
				v.Add("configValues."+f.Key, "cannot be changed after saving")
			}
		case f.DisableAfterSaving && hasStored:
			if ok && !SameValue(given, stored) {
				v.Add("configValues."+f.Key, "cannot be changed after saving")
			}
			raw[f.Key] = stored
		case f.IsHidden && !ok && hasStored:
			raw[f.Key] = stored
		}
	}
	in.ConfigValues = raw
	in.IntegrationKey = m.Key
	valid, verr := Validate(m, &in)
	v.Merge(verr)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return valid, nil
}

// SameValue compares two values as JSON would.
func SameValue(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var nx, ny any
	if json.Unmarshal(x, &nx) != nil || json.Unmarshal(y, &ny) != nil {
		return false
	}
	return reflect.DeepEqual(nx, ny)
}

// IsBlank reports whether a given value is none: absent, null or "".
func IsBlank(x any) bool { return x == nil || x == "" }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64, int, int64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// isHTTPURL reports whether s is an absolute http(s) URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != "" && !strings.ContainsAny(s, " \t\r\n")
}
