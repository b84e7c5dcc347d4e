package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
)

// Record is an integration as pages and JSON families see it: its names
// and state, never its sealed bytes or hashes. Its provider reads the rest
// of the stored row through the service.
type Record struct {
	ID        string
	TeamID    string
	TeamName  string
	TeamSlug  string
	Provider  string
	Name      string
	Status    string
	NodeID    *string
	NodeName  *string
	Version   int
	ExpiresAt *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string

	row *db.IntegrationRow
}

func recordOf(r *db.IntegrationRow) *Record {
	return &Record{
		ID: r.ID, TeamID: r.TeamID, TeamName: r.TeamName, TeamSlug: r.TeamSlug, Provider: r.Provider, Name: r.Name,
		Status: r.Status, NodeID: r.NodeID, NodeName: r.NodeName, Version: r.Version, ExpiresAt: r.ExpiresAt,
		RevokedAt: r.RevokedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CreatedBy: r.CreatedBy, row: r,
	}
}

// ShownStatus is the status the record's provider shows for it.
func (r *Record) ShownStatus() string {
	if p, ok := ProviderByKey(r.Provider); ok {
		return p.Status(r)
	}
	return r.Status
}

// Actions lists the lifecycle actions the record allows, in button order.
func (r *Record) Actions() []string {
	if p, ok := ProviderByKey(r.Provider); ok {
		return p.Actions(r)
	}
	return nil
}

// Created is the answer of the create pipeline, the same for every
// provider and entry point.
type Created struct {
	Record *Record
	// Shown are the values shown once (a generated secret, a supplied one
	// masked); a JSON family returns the ones its vendor returns.
	Shown []RevealField
	// RevealID is the reveal page of a browser create ("" for a token).
	RevealID string
}

// ShownValue returns the value of the shown field name, or "".
func (c *Created) ShownValue(name string) string {
	for _, f := range c.Shown {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// Create is the one create pipeline of every provider and entry point (the
// form, the JSON families). Its order of checks is the same for all, so one
// request gets one answer in every family:
//
//  1. a read-only token is refused (403), whatever the body;
//  2. refused (what the handler found wrong with the body's shape) and the
//     provider's validation: every failing field at once;
//  3. the team, through the provider (not found or a field error);
//  4. the draft: attributes, sealing, the creator, the reveal (only for a
//     signed-in user in the browser), the audit row;
//  5. one store transaction; a taken unique key is the provider's conflict.
func (s *Service) Create(ctx context.Context, actor sb.Actor, in Input, refused error) (*Created, error) {
	return in.create(ctx, s, actor, refused)
}

// create is Create over one provider's own input and validated types.
func create[I, V any](ctx context.Context, s *Service, actor sb.Actor, p Creator[I, V], in *I, refused error) (*Created, error) {
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	if refused != nil && (sb.ErrorCode(refused) != sb.CodeInvalid || len(sb.AsError(refused).Fields) == 0) {
		return nil, refused
	}
	valid, err := p.Validate(s, in)
	if err != nil || refused != nil {
		if err != nil && sb.ErrorCode(err) != sb.CodeInvalid {
			return nil, err
		}
		v := sb.Validation{}
		v.Merge(refused)
		v.Merge(err)
		return nil, v.Err()
	}
	team, err := p.Team(ctx, s, actor, valid)
	if err != nil {
		return nil, err
	}
	d, err := p.Draft(s, actor, team, valid)
	if err != nil {
		return nil, sb.AsError(err)
	}
	row := &db.Integration{
		ID: uuid.NewString(), TeamID: team.ID, Provider: p.Info().Key, Name: d.Name, NodeID: d.NodeID,
		Status: d.Status, UniqueKey: d.UniqueKey, SecretHash: d.SecretHash, ExpiresAt: d.ExpiresAt,
	}
	if row.Status == "" {
		row.Status = StatusActive
	}
	if err := s.fillRow(row, d); err != nil {
		return nil, err
	}
	setCreator(row, actor)
	reveal, err := s.draftReveal(actor, row, d)
	if err != nil {
		return nil, err
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationCreate, TargetType: "integration", TargetID: row.ID, TeamID: team.ID, Details: withProvider(d.Audit, row.Provider)})
	if err := s.store.CreateIntegration(ctx, row, reveal, audit); err != nil {
		if errors.Is(err, db.ErrConflict) && d.Conflict != nil {
			return nil, d.Conflict
		}
		return nil, sb.Internal(err)
	}
	out := &Created{Record: recordOf(&db.IntegrationRow{Integration: *row, TeamName: team.Name, TeamSlug: team.Slug}), Shown: d.Shown}
	if reveal != nil {
		out.RevealID = reveal.ID
	}
	return out, nil
}

var errReadOnly = sb.Errorf(sb.CodeForbidden, "this token is read-only")

// fillRow stores the draft's attributes and seals its secret to the row.
func (s *Service) fillRow(row *db.Integration, d *Draft) error {
	if d.Attrs != nil {
		b, err := json.Marshal(d.Attrs)
		if err != nil {
			return sb.Internal(err)
		}
		row.Attrs = string(b)
	}
	if d.Seal != nil {
		keyID, ct, err := s.SealCredentials(row.ID, d.Seal)
		if err != nil {
			return sb.Internal(err)
		}
		row.SecretKeyID, row.SecretCiphertext = &keyID, ct
	}
	if d.ShownSealed != nil {
		d.Shown = append(d.Shown, d.ShownSealed(row.SecretCiphertext)...)
	}
	return nil
}

// draftReveal seals what the draft shows once into a reveal of the
// signed-in user; a token's create (the JSON families) has none.
func (s *Service) draftReveal(actor sb.Actor, row *db.Integration, d *Draft) (*db.Reveal, error) {
	if actor.TokenID != "" || actor.UserID == "" || len(d.Shown) == 0 {
		return nil, nil
	}
	rv, err := s.NewReveal(actor.UserID, &row.ID, RevealPayload{
		Title: d.RevealTitle, IntegrationID: row.ID, Next: "/integrations/" + row.ID, Fields: d.Shown,
	})
	if err != nil {
		return nil, sb.Internal(err)
	}
	return rv, nil
}

func withProvider(details map[string]any, provider string) map[string]any {
	out := map[string]any{"provider": provider}
	for k, v := range details {
		out[k] = v
	}
	return out
}

// TeamRule says how a provider's family names a team and refuses one.
type TeamRule struct {
	// Missing is the answer when no team is given and the actor has more
	// than one (or is an admin).
	Missing error
	// Unknown is the answer for a team that does not exist or that the
	// actor may not use (the same answer, so it tells nothing).
	Unknown error
}

// ResolveTeam is the one team resolver of every create: teamID when the
// actor may use it, else (none given) the actor's only team.
func (s *Service) ResolveTeam(ctx context.Context, actor sb.Actor, teamID string, rule TeamRule) (*db.Team, error) {
	teamID = strings.TrimSpace(teamID)
	if teamID == "" {
		if actor.IsAdmin() || len(actor.Teams) != 1 {
			return nil, rule.Missing
		}
		teamID = actor.Teams[0]
	}
	if _, err := uuid.Parse(teamID); err != nil || len(teamID) != 36 || !actor.CanUseTeam(teamID) {
		return nil, rule.Unknown
	}
	if actor.TokenID != "" && actor.TokenTeamSlug != "" && len(actor.Teams) == 1 && teamID == actor.Teams[0] {
		// A token's team was read with the token, in this request: a team
		// with tokens cannot be deleted, so it still exists.
		return &db.Team{ID: teamID, Slug: actor.TokenTeamSlug, Name: actor.TokenTeamName}, nil
	}
	t, err := s.store.TeamByID(ctx, teamID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, rule.Unknown
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return t, nil
}
