// Package targets holds the secret-sync targets, one file each, behind one
// small interface: a target checks the fields an integration gives it, lists
// what the target holds, and applies a set of writes and removals over the
// vendor's own protocol. The sync engine (package syncs) decides what to
// write and what it may remove; a target never decides that.
package targets

import (
	"context"
	"net/http"
	"sort"

	sb "switchboard"
)

// Spec is an integration's non-secret description of where secrets go, in
// the field names of Infisical's POST /api/v1/integration.
type Spec struct {
	App                 string   `json:"app,omitempty"`
	AppID               string   `json:"appId,omitempty"`
	TargetEnvironment   string   `json:"targetEnvironment,omitempty"`
	TargetEnvironmentID string   `json:"targetEnvironmentId,omitempty"`
	TargetService       string   `json:"targetService,omitempty"`
	TargetServiceID     string   `json:"targetServiceId,omitempty"`
	Owner               string   `json:"owner,omitempty"`
	Path                string   `json:"path,omitempty"`
	Region              string   `json:"region,omitempty"`
	Scope               string   `json:"scope,omitempty"`
	Metadata            Metadata `json:"metadata"`
}

// Metadata is the integration's metadata object (Infisical's names).
type Metadata struct {
	SecretPrefix        string   `json:"secretPrefix,omitempty"`
	SecretSuffix        string   `json:"secretSuffix,omitempty"`
	InitialSyncBehavior string   `json:"initialSyncBehavior,omitempty"`
	MappingBehavior     string   `json:"mappingBehavior,omitempty"`
	ShouldAutoRedeploy  bool     `json:"shouldAutoRedeploy,omitempty"`
	SecretAWSTag        []AWSTag `json:"secretAWSTag,omitempty"`
	KMSKeyID            string   `json:"kmsKeyId,omitempty"`
	ShouldDisableDelete bool     `json:"shouldDisableDelete,omitempty"`
}

// AWSTag is one tag put on AWS parameters and secrets.
type AWSTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Credentials are an integration auth's values, opened for one sync.
type Credentials struct {
	// AccessID is the AWS access key id, the Vault AppRole role id.
	AccessID string
	// AccessToken is the AWS secret access key, the Vault secret id, the
	// GitHub or GitLab token.
	AccessToken string
	// URL is the vendor's base URL (Vault, self-managed GitLab, GitHub
	// Enterprise's API URL, an AWS endpoint); empty means the vendor's own.
	URL string
	// Namespace is the Vault Enterprise namespace.
	Namespace string
}

// Call is one sync's view of the target: where, with what, and over which
// HTTP client (netguard's dialer, a time limit on each request).
type Call struct {
	Spec  Spec
	Creds Credentials
	HTTP  *http.Client
}

// Existing is one key the target holds; Value is empty when the target does
// not let it be read (GitHub's secrets are write-only).
type Existing struct {
	Value    string
	Readable bool
}

// Target is one kind of sync target.
type Target interface {
	// Validate checks the integration's fields against the target's rules,
	// adding failures to v under the body's field names.
	Validate(v sb.Validation, s *Spec)
	// List returns the keys the target holds in the integration's scope.
	List(ctx context.Context, c *Call) (map[string]Existing, error)
	// Apply writes put and removes remove, leaving every other key as it is.
	Apply(ctx context.Context, c *Call, put map[string]string, remove []string) error
}

// Info describes a target for the form and the docs.
type Info struct {
	// Slug is Infisical's integration name.
	Slug  string
	Title string
	// Auth says what accessId/accessToken/url mean for this target.
	Auth string
	// Fields are the Spec fields the target uses, in form order.
	Fields []string
	// ConnectionApp is the Infisical app connection app whose credentials
	// can stand for an auth ("" when none).
	ConnectionApp string
	New           func() Target
}

var registry = map[string]Info{}

func register(i Info) { registry[i.Slug] = i }

// Lookup returns the target named slug.
func Lookup(slug string) (Info, bool) {
	i, ok := registry[slug]
	return i, ok
}

// All lists every target by slug.
func All() []Info {
	out := make([]Info, 0, len(registry))
	for _, i := range registry {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Slug < out[b].Slug })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
