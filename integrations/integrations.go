// Package integrations is the domain of Switchboard: the providers, the
// validation of what each one takes, sealing and hashing of their secrets,
// and the create / list / revoke / reveal service. It knows nothing of HTTP;
// the form handler and the JSON handler of a provider call the same
// validator, so the browser and the API cannot disagree.
package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/integrations/conntest"
	"switchboard/integrations/launchdarkly"
	"switchboard/netguard"
	"switchboard/secrets"
)

// Status values of an integration.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
	StatusRevoked  = "revoked"
	StatusExpired  = "expired"
)

// RevealTTL is how long a reveal waits for its one reading.
const RevealTTL = 10 * time.Minute

// Service creates, lists, revokes and reveals integrations.
type Service struct {
	store *db.DB
	keys  *secrets.Keyring
	log   *slog.Logger
	// Now is the clock, replaceable in tests.
	Now func() time.Time
	// Guard dials the outbound connections of "Test connection"; by default
	// it refuses private, loopback and link-local targets.
	Guard netguard.Guard
	// Manifests are the LaunchDarkly integrations that configurations can
	// be made for.
	Manifests *launchdarkly.ManifestSet
	// Testers are the "Test connection" checks of Infisical apps.
	Testers conntest.Registry
	// keyUse tallies node key verifications between flushes (nodekey.go).
	keyUse keyUse
}

// New returns a Service.
func New(store *db.DB, keys *secrets.Keyring, log *slog.Logger) *Service {
	return &Service{store: store, keys: keys, log: log, Now: time.Now, Guard: netguard.Guard{Timeout: 5 * time.Second}, Manifests: launchdarkly.ShippedManifests(), Testers: conntest.Default()}
}

var errNotFound = sb.Errorf(sb.CodeNotFound, "integration not found")

// Get returns an integration the actor may see; another team's is not found.
func (s *Service) Get(ctx context.Context, actor sb.Actor, id string) (*Record, error) {
	r, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return recordOf(r), nil
}

// get returns the stored row of an integration the actor may see.
func (s *Service) get(ctx context.Context, actor sb.Actor, id string) (*db.IntegrationRow, error) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return nil, errNotFound
	}
	// One spelling for both dialects: PostgreSQL's uuid type ignores case,
	// SQLite's text does not.
	id = u.String()
	r, err := s.store.IntegrationByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errNotFound
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if !actor.CanUseTeam(r.TeamID) {
		return nil, errNotFound
	}
	return r, nil
}

// ListFilter narrows a list of integrations.
type ListFilter struct {
	Provider string
	NodeID   string
	TeamID   string
	Limit    int
}

// List returns the integrations the actor may see, newest first.
func (s *Service) List(ctx context.Context, actor sb.Actor, f ListFilter) ([]*Record, error) {
	filter := db.IntegrationFilter{Provider: f.Provider, NodeID: f.NodeID, Limit: f.Limit}
	if !actor.IsAdmin() {
		filter.TeamIDs = append([]string{}, actor.Teams...)
	}
	if f.TeamID != "" {
		if !actor.CanUseTeam(f.TeamID) {
			return nil, nil
		}
		filter.TeamIDs = []string{f.TeamID}
	}
	rows, err := s.store.ListIntegrations(ctx, filter)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]*Record, len(rows))
	for i := range rows {
		out[i] = recordOf(&rows[i])
	}
	return out, nil
}

// LiveNodeKeys returns the live (active or disabled, not expired) node
// API keys of the given nodes of a team the actor may use, as node id to
// key id and name: one query of the list's columns (never attributes or
// sealed bytes) for these nodes only. Of two live keys of one node the
// older is returned, as the nodes page always showed.
func (s *Service) LiveNodeKeys(ctx context.Context, actor sb.Actor, teamID string, nodeIDs []string) (map[string][2]string, error) {
	live := map[string][2]string{}
	if !actor.CanUseTeam(teamID) || len(nodeIDs) == 0 {
		return live, nil
	}
	rows, err := s.store.ListIntegrationSummaries(ctx, db.IntegrationFilter{TeamIDs: []string{teamID}, Provider: ProviderNodeKey,
		NodeIDs: nodeIDs, Statuses: []string{StatusActive, StatusDisabled}, Limit: db.MaxIntegrationLimit + 1})
	if err != nil {
		return nil, sb.Internal(err)
	}
	for i := range rows {
		r := recordOf(&rows[i])
		if st := r.ShownStatus(); (st == StatusActive || st == StatusDisabled) && r.NodeID != nil {
			live[*r.NodeID] = [2]string{r.ID, r.Name}
		}
	}
	return live, nil
}

// MaxListed is the most rows a JSON family's list without paging of its
// own (Infisical's app connections, LaunchDarkly's configurations of a
// key) returns: the newest MaxListed, so no list reads without bound.
const MaxListed = 1000

// eachLive calls fn for every integration matching filter that the actor
// may see and that is not revoked, newest first, reading keyset pages of
// 500 (filter.TeamIDs nil means the actor's own scope), and stops after
// MaxListed rows read.
func (s *Service) eachLive(ctx context.Context, actor sb.Actor, filter db.IntegrationFilter, fn func(*db.IntegrationRow) error) error {
	filter.Limit = 500
	if filter.TeamIDs == nil && !actor.IsAdmin() {
		filter.TeamIDs = append([]string{}, actor.Teams...)
	}
	for read := 0; read < MaxListed; read += filter.Limit {
		rows, err := s.store.ListIntegrations(ctx, filter)
		if err != nil {
			return err
		}
		for i := range rows {
			if rows[i].Status == StatusRevoked {
				continue
			}
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		if len(rows) < filter.Limit {
			return nil
		}
		last := rows[len(rows)-1]
		filter.BeforeAt, filter.BeforeID = &last.CreatedAt, last.ID
	}
	return nil
}

// Revoke ends an integration for good. Revoking a revoked one is a no-op.
func (s *Service) Revoke(ctx context.Context, actor sb.Actor, id string) error {
	r, err := s.get(ctx, actor, id)
	if err != nil {
		return err
	}
	if actor.ReadOnly {
		return errReadOnly
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationRevoke, TargetType: "integration", TargetID: r.ID, TeamID: r.TeamID, Details: map[string]any{"provider": r.Provider, "name": r.Name}})
	if _, err := s.store.RevokeIntegration(ctx, r.ID, audit); err != nil {
		return sb.Internal(err)
	}
	return nil
}

// RevealField is one value on the reveal screen.
type RevealField struct {
	Label string `json:"label"`
	Name  string `json:"name"`
	Value string `json:"value"`
	// Masked values (supplied secrets) start hidden behind a show toggle;
	// generated ones are shown in full.
	Masked bool `json:"masked,omitempty"`
}

// RevealPayload is what a reveal shows, sealed at rest until its one reading.
type RevealPayload struct {
	Title         string        `json:"title"`
	IntegrationID string        `json:"integration_id,omitempty"`
	Fields        []RevealField `json:"fields"`
	// Next is where the page's "Done" button leads.
	Next string `json:"next"`
	// Kind is what is shown (RevealIntegration when empty); it outlives
	// the payload, so a second visit is told what it was.
	Kind string `json:"kind,omitempty"`
}

// The kinds of reveal.
const (
	RevealIntegration     = "integration"
	RevealAPIToken        = "api_token"
	RevealSetPasswordLink = "set_password_link"
)

func revealAAD(id string) []byte { return []byte("reveal:" + id) }

// NewReveal seals p into a reveal row owned by userID (it is inserted by the
// caller's store transaction).
func (s *Service) NewReveal(userID string, integrationID *string, p RevealPayload) (*db.Reveal, error) {
	id := secrets.RandomID(24)
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	keyID, ct, err := s.keys.Seal(b, revealAAD(id))
	if err != nil {
		return nil, err
	}
	kind := p.Kind
	if kind == "" {
		kind = RevealIntegration
	}
	return &db.Reveal{ID: id, UserID: userID, IntegrationID: integrationID, KeyID: &keyID, Payload: ct, ExpiresAt: s.Now().Add(RevealTTL), Kind: kind}, nil
}

// CreateReveal stores a reveal that belongs to no integration row (an API
// token, a set-password link) and returns its id.
func (s *Service) CreateReveal(ctx context.Context, actor sb.Actor, p RevealPayload, event access.Event) (string, error) {
	audit := access.Audit(actor, event)
	rv, err := s.NewReveal(actor.UserID, nil, p)
	if err != nil {
		return "", sb.Internal(err)
	}
	if err := s.store.CreateReveal(ctx, rv, audit); err != nil {
		return "", sb.Internal(err)
	}
	return rv.ID, nil
}

// The two ways a reveal is gone, told apart by identity (errors.Is), never
// by their text: the page explains each differently.
var (
	// ErrRevealShown is a reveal already shown once.
	ErrRevealShown = sb.Errorf(sb.CodeGone, "already shown")
	// ErrRevealExpired is a reveal that waited too long for its showing.
	ErrRevealExpired = sb.Errorf(sb.CodeGone, "expired")
)

// Reveal hands the payload of reveal id to its owner exactly once. A reveal
// of another user, or one that never existed, is not found; one already
// shown or expired is gone.
func (s *Service) Reveal(ctx context.Context, actor sb.Actor, id string) (*RevealPayload, error) {
	if actor.UserID == "" || len(id) > 64 {
		return nil, sb.Errorf(sb.CodeNotFound, "not found")
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionRevealShow, TargetType: "reveal", TargetID: id, TeamID: "", Details: nil})
	rv, err := s.store.ClaimReveal(ctx, id, actor.UserID, audit)
	if errors.Is(err, db.ErrNotFound) {
		state, err := s.store.RevealByID(ctx, id)
		if errors.Is(err, db.ErrNotFound) || (err == nil && state.UserID != actor.UserID) {
			return nil, sb.Errorf(sb.CodeNotFound, "not found")
		} else if err != nil {
			return nil, sb.Internal(err)
		}
		if state.RevealedAt != nil {
			return nil, ErrRevealShown
		}
		return nil, ErrRevealExpired
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if rv.KeyID == nil {
		return nil, sb.Internal(errors.New("reveal without key id"))
	}
	plain, err := s.keys.Open(*rv.KeyID, rv.Payload, revealAAD(id))
	if err != nil {
		return nil, sb.Internal(err)
	}
	var p RevealPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, sb.Internal(err)
	}
	return &p, nil
}

func ptr[T any](v T) *T { return &v }

// setCreator records on a new row who creates it: the token, else the user.
func setCreator(row *db.Integration, actor sb.Actor) {
	if actor.TokenID != "" {
		row.CreatedByToken = &actor.TokenID
	} else if actor.UserID != "" {
		row.CreatedByUser = &actor.UserID
	}
}
