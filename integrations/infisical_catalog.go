package integrations

import (
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	sb "switchboard"
)

// The catalogue of Infisical app connections is data: every app, its
// pasteable methods and, per method, its credential fields with their rules,
// as Infisical's <app>-connection-schemas.ts declare them (see
// reference/infisical-app-connections.md). One validator reads it, so the
// JSON family and the browser form cannot disagree, and the form is rendered
// from the same table.

// CredType is the kind of value a credential field takes.
type CredType string

// The credential field types.
const (
	CredString CredType = "string"
	CredURL    CredType = "url"
	CredNumber CredType = "number"
	CredBool   CredType = "bool"
	CredEmail  CredType = "email"
	CredEnum   CredType = "enum"
)

// InfisicalField is one credential field of a method.
type InfisicalField struct {
	// Name is the JSON member, camelCase as Infisical spells it.
	Name string
	// Label is what the form shows and what "<Label> required" names.
	Label string
	Type  CredType
	// Required fields must be present and, for strings, non-blank after
	// trimming. An optional blank string counts as absent.
	Required bool
	// Secret fields are sealed and never shown again; a PATCH or an edit
	// form may leave them out to keep the stored value.
	Secret bool
	// Returned fields appear in API responses (Infisical's Sanitized schema)
	// and are kept in clear in Attrs.
	Returned bool
	// Pattern (RE2) a string value must match, with its message.
	Pattern        string
	PatternMessage string
	// FormatMessage replaces the default message of a url or email field.
	FormatMessage string
	// MaxLength bounds a string value in characters (0: no bound).
	MaxLength int
	// Min and Max bound a number (both 0: no bound); Integer refuses fractions.
	Min, Max int
	Integer  bool
	// Enum lists the values of an enum field.
	Enum []string
	// Default is used when the field is absent (a number is a float64).
	Default any
	// Multiline asks the form for a textarea (certificates).
	Multiline bool
	// Help is one line shown under the form field.
	Help string

	re *regexp.Regexp
}

// InfisicalMethod is one way of authenticating with an app.
type InfisicalMethod struct {
	// Slug is the method value of the API ("api-token").
	Slug string
	// Name is Infisical's display name ("API Token").
	Name   string
	Fields []InfisicalField
}

// InfisicalApp is one app of the catalogue.
type InfisicalApp struct {
	// Slug is the app value and URL segment ("1password").
	Slug string
	// Name is Infisical's display name ("1Password").
	Name    string
	Methods []InfisicalMethod
}

// sqlFields are the fields of postgres and mysql (Infisical's shared
// BaseSqlUsernameAndPasswordConnectionSchema).
func sqlFields(defaultPort int) []InfisicalField {
	return []InfisicalField{
		{Name: "host", Label: "Host", Type: CredString, Required: true, Returned: true},
		{Name: "port", Label: "Port", Type: CredNumber, Returned: true, Integer: true, Min: 1, Max: 65535, Default: float64(defaultPort)},
		{Name: "database", Label: "Database", Type: CredString, Required: true, Returned: true},
		{Name: "username", Label: "Username", Type: CredString, Required: true, Returned: true},
		{Name: "password", Label: "Password", Type: CredString, Required: true, Secret: true},
		{Name: "sslEnabled", Label: "Use SSL/TLS", Type: CredBool, Returned: true, Default: false},
		{Name: "sslRejectUnauthorized", Label: "Reject unauthorized certificates", Type: CredBool, Returned: true, Default: true,
			Help: "With SSL, verify the server's certificate and host name."},
		{Name: "sslCertificate", Label: "SSL certificate (CA, PEM)", Type: CredString, Returned: true, Multiline: true,
			Help: "Optional: the CA that signed the server's certificate, when it is not a public one."},
	}
}

// InfisicalApps is the catalogue, in the order the options list and the
// form show it.
var InfisicalApps = []InfisicalApp{
	{Slug: "1password", Name: "1Password", Methods: []InfisicalMethod{
		{Slug: "api-token", Name: "API Token", Fields: []InfisicalField{
			{Name: "apiToken", Label: "API Token", Type: CredString, Required: true, Secret: true, Help: "A 1Password Connect server token."},
			{Name: "instanceUrl", Label: "Instance URL", Type: CredURL, Required: true, Returned: true, FormatMessage: "Invalid Connect Server instance URL",
				Help: "The URL of your 1Password Connect server."},
		}},
	}},
	{Slug: "gitlab", Name: "GitLab", Methods: []InfisicalMethod{
		{Slug: "access-token", Name: "Access Token", Fields: []InfisicalField{
			{Name: "accessToken", Label: "Access Token", Type: CredString, Required: true, Secret: true},
			{Name: "instanceUrl", Label: "Instance URL", Type: CredURL, Returned: true, FormatMessage: "Invalid Instance URL",
				Help: "Optional: your self-hosted GitLab; gitlab.com when empty."},
			{Name: "accessTokenType", Label: "Access Token Type", Type: CredEnum, Required: true, Returned: true, Enum: []string{"project", "personal"}},
		}},
	}},
	{Slug: "aws", Name: "AWS", Methods: []InfisicalMethod{
		{Slug: "access-key", Name: "Access Key", Fields: []InfisicalField{
			{Name: "accessKeyId", Label: "Access Key ID", Type: CredString, Required: true, Returned: true},
			{Name: "secretAccessKey", Label: "Secret Access Key", Type: CredString, Required: true, Secret: true},
		}},
		{Slug: "assume-role", Name: "Assume Role", Fields: []InfisicalField{
			{Name: "roleArn", Label: "Role ARN", Type: CredString, Required: true},
		}},
	}},
	{Slug: "gcp", Name: "GCP", Methods: []InfisicalMethod{
		{Slug: "service-account-impersonation", Name: "Service Account Impersonation", Fields: []InfisicalField{
			{Name: "serviceAccountEmail", Label: "Service Account Email", Type: CredEmail, Required: true},
		}},
	}},
	{Slug: "postgres", Name: "PostgreSQL", Methods: []InfisicalMethod{
		{Slug: "username-and-password", Name: "Username & Password", Fields: sqlFields(5432)},
	}},
	{Slug: "mysql", Name: "MySQL", Methods: []InfisicalMethod{
		{Slug: "username-and-password", Name: "Username & Password", Fields: sqlFields(3306)},
	}},
	{Slug: "vercel", Name: "Vercel", Methods: []InfisicalMethod{
		{Slug: "api-token", Name: "API Token", Fields: []InfisicalField{
			{Name: "apiToken", Label: "API Token", Type: CredString, Required: true, Secret: true},
		}},
	}},
	{Slug: "netlify", Name: "Netlify", Methods: []InfisicalMethod{
		{Slug: "access-token", Name: "Access Token", Fields: []InfisicalField{
			{Name: "accessToken", Label: "Access Token", Type: CredString, Required: true, Secret: true, MaxLength: 255},
		}},
	}},
	{Slug: "cloudflare", Name: "Cloudflare", Methods: []InfisicalMethod{
		{Slug: "api-token", Name: "API Token", Fields: []InfisicalField{
			{Name: "accountId", Label: "Account ID", Type: CredString, Required: true, Returned: true, MaxLength: 256,
				Pattern: `^[a-zA-Z0-9_-]+$`, PatternMessage: "Account ID can only contain alphanumeric characters, underscores, and hyphens"},
			{Name: "apiToken", Label: "API Token", Type: CredString, Required: true, Secret: true, MaxLength: 256},
		}},
	}},
	{Slug: "hashicorp-vault", Name: "Hashicorp Vault", Methods: []InfisicalMethod{
		{Slug: "access-token", Name: "Access Token", Fields: []InfisicalField{
			{Name: "instanceUrl", Label: "Instance URL", Type: CredURL, Required: true, FormatMessage: "Invalid Instance URL"},
			{Name: "namespace", Label: "Namespace", Type: CredString, Help: "Optional: the Vault Enterprise namespace."},
			{Name: "accessToken", Label: "Access Token", Type: CredString, Required: true, Secret: true},
		}},
		{Slug: "app-role", Name: "App Role", Fields: []InfisicalField{
			{Name: "instanceUrl", Label: "Instance URL", Type: CredURL, Required: true, FormatMessage: "Invalid Instance URL"},
			{Name: "namespace", Label: "Namespace", Type: CredString, Help: "Optional: the Vault Enterprise namespace."},
			{Name: "roleId", Label: "Role ID", Type: CredString, Required: true},
			{Name: "secretId", Label: "Secret ID", Type: CredString, Required: true, Secret: true},
		}},
	}},
	{Slug: "databricks", Name: "Databricks", Methods: []InfisicalMethod{
		{Slug: "service-principal", Name: "Service Principal", Fields: []InfisicalField{
			{Name: "clientId", Label: "Client ID", Type: CredString, Required: true, Returned: true},
			{Name: "clientSecret", Label: "Client Secret", Type: CredString, Required: true, Secret: true},
			{Name: "workspaceUrl", Label: "Workspace URL", Type: CredURL, Required: true, Returned: true, FormatMessage: "Invalid Workspace URL"},
		}},
	}},
	{Slug: "okta", Name: "Okta", Methods: []InfisicalMethod{
		{Slug: "api-token", Name: "API Token", Fields: []InfisicalField{
			{Name: "instanceUrl", Label: "Instance URL", Type: CredURL, Required: true, Returned: true, MaxLength: 255, FormatMessage: "Invalid Instance URL"},
			{Name: "apiToken", Label: "API Token", Type: CredString, Required: true, Secret: true,
				Pattern: `^00[a-zA-Z0-9_-]{40}$`, PatternMessage: "Invalid Okta API Token format"},
		}},
	}},
}

func init() {
	for a := range InfisicalApps {
		for m := range InfisicalApps[a].Methods {
			fs := InfisicalApps[a].Methods[m].Fields
			for f := range fs {
				if fs[f].Pattern != "" {
					fs[f].re = regexp.MustCompile(fs[f].Pattern)
				}
			}
		}
	}
}

// InfisicalAppBySlug returns the app of the catalogue with slug.
func InfisicalAppBySlug(slug string) (*InfisicalApp, bool) {
	for i := range InfisicalApps {
		if InfisicalApps[i].Slug == slug {
			return &InfisicalApps[i], true
		}
	}
	return nil, false
}

// Method returns the app's method with slug.
func (a *InfisicalApp) Method(slug string) (*InfisicalMethod, bool) {
	for i := range a.Methods {
		if a.Methods[i].Slug == slug {
			return &a.Methods[i], true
		}
	}
	return nil, false
}

// MethodSlugs lists the app's method values.
func (a *InfisicalApp) MethodSlugs() []string {
	out := make([]string, len(a.Methods))
	for i, m := range a.Methods {
		out[i] = m.Slug
	}
	return out
}

// Field returns the method's field called name.
func (m *InfisicalMethod) Field(name string) (*InfisicalField, bool) {
	for i := range m.Fields {
		if m.Fields[i].Name == name {
			return &m.Fields[i], true
		}
	}
	return nil, false
}

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
