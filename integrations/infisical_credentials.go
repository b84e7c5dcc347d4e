package integrations

import (
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	sb "switchboard"
)

// enumMessage is zod's wording for a value outside an enum.
func enumMessage(values []string, got string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "'" + v + "'"
	}
	if len(got) > 64 {
		got = got[:64] + "…"
	}
	return "Invalid enum value. Expected " + strings.Join(q, " | ") + ", received '" + got + "'"
}

// jsonKind names the JSON type of a decoded value as zod does.
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

// ValidateCredentials checks credentials (as encoding/json decodes them, or
// as FormCredentials builds them) against the method and returns them
// normalised: strings trimmed, blank optional fields dropped, numbers as
// float64, defaults filled in. Unknown keys are refused, as Infisical's
// schemas refuse additional properties. Field errors are keyed
// "credentials.<name>" (unknown keys under "credentials"); no message
// quotes the value of a secret field.
func (m *InfisicalMethod) ValidateCredentials(raw map[string]any) (map[string]any, error) {
	v := sb.Validation{}
	out := map[string]any{}
	var unknown []string
	for k := range raw {
		if _, ok := m.Field(k); !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		v.Add("credentials", "Unrecognized key(s) in object: '"+strings.Join(unknown, "', '")+"'")
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		key := "credentials." + f.Name
		val, err := f.check(raw[f.Name])
		if err != "" {
			v.Add(key, err)
			continue
		}
		if val != nil {
			out[f.Name] = val
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// check validates one value; it returns the normalised value (nil: absent)
// or a message.
func (f *InfisicalField) check(in any) (any, string) {
	// Strings are trimmed first (z.string().trim()); a blank or null
	// optional value is absent, as Infisical's own forms send it.
	if s, ok := in.(string); ok {
		in = strings.TrimSpace(s)
	}
	if in == nil || in == "" {
		switch {
		case f.Default != nil:
			return f.Default, ""
		case f.Required:
			return nil, f.Label + " required"
		}
		return nil, ""
	}
	switch f.Type {
	case CredString, CredURL, CredEmail, CredEnum:
		s, ok := in.(string)
		if !ok {
			return nil, "Expected string, received " + jsonKind(in)
		}
		if f.MaxLength > 0 && utf8.RuneCountInString(s) > f.MaxLength {
			return nil, fmt.Sprintf("%s must be at most %d characters", f.Label, f.MaxLength)
		}
		switch f.Type {
		case CredURL:
			if !isHTTPURL(s) {
				return nil, firstOf(f.FormatMessage, "Invalid URL")
			}
		case CredEmail:
			if a, err := mail.ParseAddress(s); err != nil || a.Address != s || a.Name != "" {
				return nil, firstOf(f.FormatMessage, "Invalid email")
			}
		case CredEnum:
			if !slices.Contains(f.Enum, s) {
				if f.Secret {
					return nil, enumMessage(f.Enum, "…")
				}
				return nil, enumMessage(f.Enum, s)
			}
		}
		if f.re != nil && !f.re.MatchString(s) {
			return nil, f.PatternMessage
		}
		return s, ""
	case CredNumber:
		var n float64
		switch x := in.(type) {
		case float64:
			n = x
		case int:
			n = float64(x)
		case string:
			// z.coerce.number(): a numeric string is a number.
			p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, "Expected number, received string"
			}
			n = p
		default:
			return nil, "Expected number, received " + jsonKind(in)
		}
		switch {
		case math.IsNaN(n) || math.IsInf(n, 0):
			return nil, "Expected number, received nan"
		case f.Integer && n != math.Trunc(n):
			return nil, "Expected integer, received float"
		case (f.Min != 0 || f.Max != 0) && (n < float64(f.Min) || n > float64(f.Max)):
			return nil, fmt.Sprintf("%s must be between %d and %d", f.Label, f.Min, f.Max)
		}
		return n, ""
	case CredBool:
		b, ok := in.(bool)
		if !ok {
			return nil, "Expected boolean, received " + jsonKind(in)
		}
		return b, ""
	}
	return nil, "unsupported field type"
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// isHTTPURL reports whether s is an absolute http(s) URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Hostname() != "" && !strings.ContainsAny(s, " \t\r\n")
}

// Returned keeps the fields of creds that responses may show.
func (m *InfisicalMethod) Returned(creds map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range m.Fields {
		if v, ok := creds[f.Name]; ok && f.Returned && !f.Secret {
			out[f.Name] = v
		}
	}
	return out
}

// NonSecret keeps every field of creds that is not secret (for an edit
// form, which shows non-secret values that responses leave out, such as a
// role ARN).
func (m *InfisicalMethod) NonSecret(creds map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range m.Fields {
		if v, ok := creds[f.Name]; ok && !f.Secret {
			out[f.Name] = v
		}
	}
	return out
}

// secretValues lists the values of the secret fields of creds, longest
// first, to scrub them from any message.
func (m *InfisicalMethod) secretValues(creds map[string]any) []string {
	var out []string
	for _, f := range m.Fields {
		if s, ok := creds[f.Name].(string); ok && f.Secret && s != "" {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// keepStoredSecrets fills the secret fields that raw leaves out or blank
// with the stored values: an edit need not paste a secret again.
func (m *InfisicalMethod) keepStoredSecrets(raw, stored map[string]any) map[string]any {
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		out[k] = v
	}
	for _, f := range m.Fields {
		if !f.Secret {
			continue
		}
		v, present := out[f.Name]
		s, isStr := v.(string)
		if !present || v == nil || (isStr && strings.TrimSpace(s) == "") {
			if sv, ok := stored[f.Name]; ok {
				out[f.Name] = sv
			}
		}
	}
	return out
}

// FormCredentials builds the credentials of the method from a submitted
// form whose inputs are named prefix+field name (e.g. "credentials.host"):
// a checkbox is true when sent with any value but "false", "off" or "0"
// (a hidden "false" before it makes an unchecked box explicit), and every
// other field is passed as the string typed. The result goes through
// ValidateCredentials like a JSON body.
func (m *InfisicalMethod) FormCredentials(values map[string][]string, prefix string) map[string]any {
	out := map[string]any{}
	for _, f := range m.Fields {
		vs, ok := values[prefix+f.Name]
		if f.Type == CredBool {
			b := false
			for _, v := range vs {
				switch strings.ToLower(strings.TrimSpace(v)) {
				case "false", "off", "0", "":
				default:
					b = true
				}
			}
			out[f.Name] = b
			continue
		}
		if ok && len(vs) > 0 {
			out[f.Name] = vs[len(vs)-1]
		}
	}
	return out
}
