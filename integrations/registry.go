package integrations

import (
	"context"
	"time"

	sb "switchboard"
	"switchboard/db"
)

// ProviderInfo is what the chooser and the lists show of a provider.
type ProviderInfo struct {
	// Key is the stored provider value and the URL segment of its form.
	Key string
	// Title is shown on cards and lists.
	Title string
	// Description is one sentence for the chooser card.
	Description string
	// Available is false for providers announced but not built yet.
	Available bool
}

// Provider is one kind of integration, declared once: a type implementing
// this interface, listed once in Registry. It holds everything that differs
// between providers (what its input is and how it is checked, which team it
// goes to, what is sealed and what the reveal shows, which lifecycle actions
// a record allows); the service's one create pipeline and the lifecycle
// calls run the same steps, in the same order, for every provider.
type Provider interface {
	// Info is the provider's key, title and chooser text.
	Info() ProviderInfo
	// Validate checks in (the provider's own Input type) and normalises it
	// in place; failing fields are an sb.CodeInvalid error.
	Validate(s *Service, in Input) error
	// Team returns the team the new integration goes to, through the
	// service's one team resolver (Service.ResolveTeam) or from the object
	// it hangs off (a node key's node).
	Team(ctx context.Context, s *Service, actor sb.Actor, in Input) (*db.Team, error)
	// Draft makes the new row's content: attributes, the value to seal,
	// what the reveal shows once, the audit details and the answer to a
	// unique-key conflict.
	Draft(s *Service, actor sb.Actor, team *db.Team, in Input) (*Draft, error)
	// Status is the status a record shows (a node key past its expiry is
	// expired though its row still says active).
	Status(r *Record) string
	// Actions lists the lifecycle actions a record allows, in button order.
	Actions(r *Record) []string
}

// Input is what creating an integration of one provider takes; its
// provider names the implementation the pipeline dispatches to.
type Input interface {
	ProviderKey() string
}

// Draft is a provider's part of a create: everything but the row's id,
// team, creator and timestamps, which the pipeline sets.
type Draft struct {
	Name      string
	NodeID    *string
	Status    string
	UniqueKey *string
	// Attrs are the non-secret attributes, stored as JSON.
	Attrs any
	// Seal, when non-nil, is sealed (as JSON) to the new row.
	Seal any
	// SecretHash is a generated secret's keyed hash.
	SecretHash *string
	ExpiresAt  *time.Time
	// Shown are the values shown once: on the reveal page in the browser,
	// in the create response of the JSON families.
	Shown []RevealField
	// ShownSealed, when set, adds values that depend on the sealed bytes
	// (Infisical's credentialsHash) to Shown once the row is sealed.
	ShownSealed func(ciphertext []byte) []RevealField
	// RevealTitle heads the reveal page.
	RevealTitle string
	// Audit are the audit row's details (never a secret).
	Audit map[string]any
	// Conflict is the answer when the unique key is already taken.
	Conflict error
}

// Registry is every provider, in the order the chooser shows them. A new
// family is its own files plus one line here.
var Registry = []Provider{
	nodeKeyProvider{},
	onePasswordProvider{},
	infisicalProvider{},
	launchDarklyProvider{},
}

// Providers lists every provider's info in chooser order.
func Providers() []ProviderInfo {
	out := make([]ProviderInfo, len(Registry))
	for i, p := range Registry {
		out[i] = p.Info()
	}
	return out
}

// ProviderByKey returns the provider with key, or ok false.
func ProviderByKey(key string) (Provider, bool) {
	for _, p := range Registry {
		if p.Info().Key == key {
			return p, true
		}
	}
	return nil, false
}

// defaultActions are the lifecycle actions of a record whose provider has
// no rotation of its own: disable or enable (by the status it shows),
// revoke (until its row is revoked), delete; rotate, when given, comes
// after disable or enable for a record that is active or disabled.
func defaultActions(r *Record, shown string, rotate bool) []string {
	var out []string
	switch shown {
	case StatusActive:
		out = append(out, ActionDisable)
	case StatusDisabled:
		out = append(out, ActionEnable)
	}
	if rotate && (shown == StatusActive || shown == StatusDisabled) {
		out = append(out, ActionRotate)
	}
	if r.row.Status != StatusRevoked {
		out = append(out, ActionRevoke)
	}
	return append(out, ActionDelete)
}
