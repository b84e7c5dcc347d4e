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
// this interface and Creator (over its own input type), listed once in
// Registry. It holds everything that differs between providers (what its
// input is and how it is checked, which team it goes to, what is sealed
// and what the reveal shows, which lifecycle actions a record allows); the
// service's one create pipeline and the lifecycle calls run the same
// steps, in the same order, for every provider.
type Provider interface {
	// Info is the provider's key, title and chooser text.
	Info() ProviderInfo
	// Status is the status a record shows (a node key past its expiry is
	// expired though its row still says active).
	Status(r *Record) string
	// Actions lists the lifecycle actions a record allows, in button order.
	Actions(r *Record) []string
}

// Creator is the create half of a provider, typed by what a create takes
// (I, the provider's input) and what its validation makes of it (V), so
// the pipeline hands each hook its own types and nothing asserts them.
type Creator[I, V any] interface {
	Provider
	// Validate checks in and normalises it; failing fields are an
	// sb.CodeInvalid error.
	Validate(s *Service, in *I) (V, error)
	// Team returns the team the new integration goes to, through the
	// service's one team resolver (Service.ResolveTeam) or from the object
	// it hangs off (a node key's node).
	Team(ctx context.Context, s *Service, actor sb.Actor, v V) (*db.Team, error)
	// Draft makes the new row's content: attributes, the value to seal,
	// what the reveal shows once, the audit details and the answer to a
	// unique-key conflict.
	Draft(s *Service, actor sb.Actor, team *db.Team, v V) (*Draft, error)
}

// Input is what creating an integration of one provider takes. Each
// provider's input type implements it with one line that hands itself to
// the pipeline with its provider (create(ctx, s, actor, p, in, refused)).
type Input interface {
	create(ctx context.Context, s *Service, actor sb.Actor, refused error) (*Created, error)
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
