package syncs

import (
	"fmt"
	"strings"

	sb "switchboard"
)

// ParseDotenv reads a .env file: KEY=VALUE lines, blank lines and # comments
// skipped, an optional "export " prefix, values bare (trimmed, a " #" starts
// a comment), 'single-quoted' (taken as is) or "double-quoted" (\n, \t, \"
// and \\ escapes). Every bad line is reported by its number, under the
// field "env.LINE", and no secret is returned when any line is bad.
func ParseDotenv(text string) ([]SecretInput, error) {
	v := sb.Validation{}
	var out []SecretInput
	first := map[string]int{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		n := i + 1
		field := fmt.Sprintf("env.%d", n)
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		key, raw, ok := strings.Cut(t, "=")
		key = strings.TrimSpace(key)
		if !ok {
			v.Add(field, fmt.Sprintf("line %d: expected KEY=VALUE", n))
			continue
		}
		if !keyRE.MatchString(key) {
			v.Add(field, fmt.Sprintf("line %d: the key may contain only letters, digits, _, - and . (1–256 characters)", n))
			continue
		}
		value, err := dotenvValue(strings.TrimSpace(raw))
		if err != "" {
			v.Add(field, fmt.Sprintf("line %d: %s", n, err))
			continue
		}
		if len(value) > MaxValueBytes {
			v.Add(field, fmt.Sprintf("line %d: the value is longer than %d bytes", n, MaxValueBytes))
			continue
		}
		if prev, dup := first[key]; dup {
			v.Add(field, fmt.Sprintf("line %d: %s is already set on line %d", n, key, prev))
			continue
		}
		first[key] = n
		val := value
		out = append(out, SecretInput{Key: key, Value: &val})
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"env": "no KEY=VALUE line found"}}
	}
	return out, nil
}

func dotenvValue(raw string) (string, string) {
	switch {
	case strings.HasPrefix(raw, `"`):
		var b strings.Builder
		for i := 1; i < len(raw); i++ {
			c := raw[i]
			switch {
			case c == '\\' && i+1 < len(raw):
				i++
				switch raw[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case '"', '\\':
					b.WriteByte(raw[i])
				default:
					b.WriteByte('\\')
					b.WriteByte(raw[i])
				}
			case c == '"':
				if rest := strings.TrimSpace(raw[i+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
					return "", "unexpected text after the closing quote"
				}
				return b.String(), ""
			default:
				b.WriteByte(c)
			}
		}
		return "", "the double quote is not closed"
	case strings.HasPrefix(raw, "'"):
		end := strings.IndexByte(raw[1:], '\'')
		if end < 0 {
			return "", "the single quote is not closed"
		}
		if rest := strings.TrimSpace(raw[end+2:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", "unexpected text after the closing quote"
		}
		return raw[1 : end+1], ""
	default:
		if i := strings.Index(raw, " #"); i >= 0 {
			raw = raw[:i]
		}
		return strings.TrimSpace(raw), ""
	}
}
