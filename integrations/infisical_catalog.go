package integrations

import (
	"regexp"
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
