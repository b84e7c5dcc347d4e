package integrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
)

// integrationAAD binds a sealed integration secret to its row.
func integrationAAD(id string) []byte { return []byte("integration:" + id) }

// RotateKeys re-encrypts every sealed value that is not under the active
// master key and returns how many it re-encrypted. Running it again changes
// nothing. The audit row records only counts and key ids.
func (s *Service) RotateKeys(ctx context.Context, actor sb.Actor) (int, error) {
	active := s.keys.ActiveID()
	rows, err := s.store.SealedNotUnder(ctx, active)
	if err != nil {
		return 0, sb.Internal(err)
	}
	done := 0
	for _, r := range rows {
		aad := integrationAAD(r.ID)
		if r.Table == "reveals" {
			aad = revealAAD(r.ID)
		}
		if r.AAD != "" {
			aad = []byte(r.AAD)
		}
		plain, err := s.keys.Open(r.KeyID, r.Ciphertext, aad)
		if err != nil {
			return done, sb.Internal(fmt.Errorf("open %s %s under key %q: %w", r.Table, r.ID, r.KeyID, err))
		}
		keyID, ct, err := s.keys.Seal(plain, aad)
		clear(plain)
		if err != nil {
			return done, sb.Internal(err)
		}
		ok, err := s.store.Reseal(ctx, r, keyID, ct)
		if err != nil {
			return done, sb.Internal(err)
		}
		if ok {
			done++
		}
	}
	if err := s.store.RecordAudit(ctx, access.Audit(actor, access.Event{Action: access.ActionKeysRotate, TargetType: "keyring", TargetID: active, TeamID: "", Details: map[string]any{"resealed": done, "active_key": active}})); err != nil {
		return done, sb.Internal(err)
	}
	return done, nil
}

// Rolling a node key with a grace period, and the background sweep that
// ends grace periods and warns of expiries (once across instances).

// Grace is one choice of how long the old key keeps working after a roll.
type Grace struct {
	Value string
	Label string
	In    time.Duration
}

// Graces are the choices of expires_old_in, "now" first (the old key is
// revoked in the roll's transaction, as a plain rotation does).
var Graces = []Grace{
	{Value: "now", Label: "Now", In: 0},
	{Value: "1h", Label: "In 1 hour", In: time.Hour},
	{Value: "24h", Label: "In 24 hours", In: 24 * time.Hour},
	{Value: "7d", Label: "In 7 days", In: 7 * 24 * time.Hour},
}

// ParseGrace reads an expires_old_in value ("" is now); another is an
// invalid-input error on that field.
func ParseGrace(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	for _, g := range Graces {
		if g.Value == v {
			return g.In, nil
		}
	}
	return 0, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"expires_old_in": "must be one of now, 1h, 24h, 7d"}}
}

// RollNodeKey gives a node key a successor with a new key and secret (the
// same name, node, permissions and expiry) and lets the old key keep
// verifying for grace; zero revokes it at once (RotateNodeKey). Rolling
// the successor again during the grace is allowed: every older key of the
// node then ends no later than the newly rolled one, so the oldest ends
// first. A key already rolled cannot be rolled again (roll its successor).
func (s *Service) RollNodeKey(ctx context.Context, actor sb.Actor, id string, grace time.Duration) (*Created, error) {
	if grace <= 0 {
		return s.RotateNodeKey(ctx, actor, id)
	}
	r, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if r.Provider != ProviderNodeKey || r.NodeID == nil {
		return nil, errNotFound
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	old, err := nodeKeyFrom(r)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	switch {
	case r.Status == StatusRevoked:
		return nil, sb.Errorf(sb.CodeConflict, "this key is revoked: create a new one for the node instead")
	case nodeKeyStatusAt(r, now) == StatusExpired:
		return nil, sb.Errorf(sb.CodeConflict, "this key has expired: create a new one for the node instead")
	case r.RolledTo != nil:
		return nil, sb.Errorf(sb.CodeConflict, "this key was rolled already: roll its successor instead")
	}
	d, err := s.nodeKeyDraft(*r.NodeID, r.Name, old.Permissions, r.ExpiresAt)
	if err != nil {
		return nil, err
	}
	row := &db.Integration{ID: uuid.NewString(), TeamID: r.TeamID, Provider: ProviderNodeKey, Name: r.Name, NodeID: r.NodeID,
		Status: r.Status, UniqueKey: d.UniqueKey, SecretHash: d.SecretHash, ExpiresAt: r.ExpiresAt}
	if err := s.fillRow(row, d); err != nil {
		return nil, err
	}
	setCreator(row, actor)
	reveal, err := s.draftReveal(actor, row, d)
	if err != nil {
		return nil, err
	}
	endsAt := now.Add(grace)
	if r.ExpiresAt != nil && r.ExpiresAt.Before(endsAt) {
		endsAt = *r.ExpiresAt
	}
	d.Audit["replaces"] = r.ID
	d.Audit["old_ends_at"] = endsAt.UTC().Format(time.RFC3339)
	d.Audit["grace"] = grace.String()
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationRotate, TargetType: "integration", TargetID: row.ID, TeamID: r.TeamID, Details: withProvider(d.Audit, ProviderNodeKey)})
	if err := s.store.RollIntegration(ctx, r.ID, endsAt, row, reveal, audit); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return nil, sb.Errorf(sb.CodeConflict, "this key was revoked or rolled meanwhile")
		}
		return nil, sb.Internal(err)
	}
	out := &Created{Record: recordOf(&db.IntegrationRow{Integration: *row, TeamName: r.TeamName, TeamSlug: r.TeamSlug, NodeName: r.NodeName}), Shown: d.Shown}
	if reveal != nil {
		out.RevealID = reveal.ID
	}
	return out, nil
}

// sweepAudit is the audit row of an event the sweep writes; its actor is the system.
func sweepAudit(e access.Event) *db.AuditEvent {
	row := access.Audit(sb.Actor{Email: "key sweep"}, e)
	row.ActorType, row.ActorID = "system", "key-sweep"
	return row
}

// SweepKeys writes the key and token events that are due at the service's
// clock, each once however many instances sweep: the end of a grace period
// (integration.roll_ended, token.roll_ended) and the expiry warnings at 7
// days and 1 day before the end (integration.expiring, token.expiring).
// It also flushes the verification tally. It returns how many events this
// call wrote.
func (s *Service) SweepKeys(ctx context.Context) (int, error) {
	if err := s.FlushKeyUse(ctx); err != nil {
		s.log.WarnContext(ctx, "flush key use", "err", err)
	}
	due, err := s.store.DueKeyEvents(ctx, ProviderNodeKey, s.Now(), 500)
	if err != nil {
		return 0, sb.Internal(err)
	}
	wrote := 0
	for _, e := range due {
		ev := access.Event{TargetType: e.TargetType, TargetID: e.TargetID, TeamID: e.TeamID}
		details := map[string]any{"name": e.Name, "expires_at": e.ExpiresAt.UTC().Format(time.RFC3339)}
		token := e.TargetType == "api_token"
		switch e.Kind {
		case db.KeyEventGraceEnded:
			ev.Action = access.ActionIntegrationRollEnded
			if token {
				ev.Action = access.ActionTokenRollEnded
			}
			if e.RolledTo != nil {
				details["rolled_to"] = *e.RolledTo
			}
		case db.KeyEventExpiring7d, db.KeyEventExpiring1d:
			ev.Action = access.ActionIntegrationExpiring
			if token {
				ev.Action = access.ActionTokenExpiring
			}
			details["within"] = map[string]string{db.KeyEventExpiring7d: "7d", db.KeyEventExpiring1d: "1d"}[e.Kind]
		default:
			continue
		}
		if !token {
			details["provider"] = ProviderNodeKey
		}
		ev.Details = details
		claimed, err := s.store.ClaimKeyEvent(ctx, e, sweepAudit(ev))
		if err != nil {
			return wrote, sb.Internal(err)
		}
		if claimed {
			wrote++
		}
	}
	return wrote, nil
}

// KeySweeper runs SweepKeys every Interval until its context ends (serve
// runs it beside the sync engine, on every instance: the claims make each
// event once).
type KeySweeper struct {
	svc      *Service
	Interval time.Duration
}

// NewKeySweeper returns a sweeper of s, every 30 seconds.
func (s *Service) NewKeySweeper() *KeySweeper {
	return &KeySweeper{svc: s, Interval: 30 * time.Second}
}

// Run sweeps at once and then every Interval; when ctx ends it flushes
// the verification tally a last time and returns.
func (k *KeySweeper) Run(ctx context.Context) {
	t := time.NewTicker(k.Interval)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, k.Interval)
		if _, err := k.svc.SweepKeys(sctx); err != nil && ctx.Err() == nil {
			k.svc.log.Warn("key sweep", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := k.svc.FlushKeyUse(fctx); err != nil {
				k.svc.log.Warn("flush key use", "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
	}
}
