package integrations

import (
	"context"
	"errors"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
)

// The lifecycle of an integration after its creation: disable and enable
// (every provider), rotate (a node key gets a new key and secret, the old
// one revoked in the same transaction; supplied credentials are replaced
// by their provider's update, version + 1, audited as a rotation), revoke
// and delete. Revoked integrations cannot come back.

// Lifecycle actions, as the confirmation pages and the audit log name them.
const (
	ActionDisable = "disable"
	ActionEnable  = "enable"
	ActionRotate  = "rotate"
	ActionRevoke  = "revoke"
	ActionDelete  = "delete"
)

// SetEnabled disables (enabled false) or enables an integration of
// provider ("" for any; another provider's row is not found). Doing it
// twice is a no-op without a second audit row; a revoked or expired one
// cannot change.
func (s *Service) SetEnabled(ctx context.Context, actor sb.Actor, id, provider string, enabled bool) (*Record, error) {
	r, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if provider != "" && r.Provider != provider {
		return nil, errNotFound
	}
	if r, err = s.setEnabled(ctx, actor, r, enabled); err != nil {
		return nil, err
	}
	return recordOf(r), nil
}

// SetAppConnectionEnabled disables or enables an app connection of app.
func (s *Service) SetAppConnectionEnabled(ctx context.Context, actor sb.Actor, app, id string, enabled bool) (*AppConnection, error) {
	r, _, err := s.appConnectionRow(ctx, actor, app, id)
	if err != nil {
		return nil, err
	}
	if r, err = s.setEnabled(ctx, actor, r, enabled); err != nil {
		return nil, err
	}
	return s.appConnectionOf(ctx, r)
}

func (s *Service) setEnabled(ctx context.Context, actor sb.Actor, r *db.IntegrationRow, enabled bool) (*db.IntegrationRow, error) {
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	if r.Status == StatusRevoked || r.Status == StatusExpired {
		return nil, sb.Errorf(sb.CodeConflict, "this integration is %s and can no longer be disabled or enabled", r.Status)
	}
	if recordOf(r).ShownStatus() == StatusExpired {
		return nil, sb.Errorf(sb.CodeConflict, "this integration has expired and can no longer be disabled or enabled")
	}
	from, to, action := StatusActive, StatusDisabled, access.ActionIntegrationDisable
	if enabled {
		from, to, action = StatusDisabled, StatusActive, access.ActionIntegrationEnable
	}
	audit := access.Audit(actor, access.Event{Action: action, TargetType: "integration", TargetID: r.ID, TeamID: r.TeamID, Details: map[string]any{"provider": r.Provider, "name": r.Name}})
	changed, err := s.store.SetIntegrationStatus(ctx, r.ID, []string{from}, to, audit)
	if err != nil {
		return nil, sb.Internal(err)
	}
	if changed {
		r.Status = to
	}
	return r, nil
}

// RotateNodeKey replaces a node key with a new key and secret of the same
// name, node, permissions and expiry; the old key is revoked in the same
// transaction, so exactly one works at any time. A signed-in user gets the
// new values on a reveal; a token gets them in Created.Shown, once.
func (s *Service) RotateNodeKey(ctx context.Context, actor sb.Actor, id string) (*Created, error) {
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
	if r.Status == StatusRevoked {
		return nil, sb.Errorf(sb.CodeConflict, "this key is revoked: create a new one for the node instead")
	}
	if old.Status == StatusExpired {
		return nil, sb.Errorf(sb.CodeConflict, "this key has expired: create a new one for the node instead")
	}
	d, err := s.nodeKeyDraft(*r.NodeID, r.Name, old.Permissions, r.ExpiresAt)
	if err != nil {
		return nil, err
	}
	// A disabled key rotates into a disabled key.
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
	d.Audit["replaces"] = r.ID
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationRotate, TargetType: "integration", TargetID: row.ID, TeamID: r.TeamID, Details: withProvider(d.Audit, ProviderNodeKey)})
	if err := s.store.ReplaceIntegration(ctx, r.ID, row, reveal, audit); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return nil, sb.Errorf(sb.CodeConflict, "this key was revoked or rotated meanwhile")
		}
		return nil, sb.Internal(err)
	}
	out := &Created{Record: recordOf(&db.IntegrationRow{Integration: *row, TeamName: r.TeamName, TeamSlug: r.TeamSlug, NodeName: r.NodeName}), Shown: d.Shown}
	if reveal != nil {
		out.RevealID = reveal.ID
	}
	return out, nil
}

// updateAction names an update in the audit log: one that re-seals the
// secret (the version goes up) is a rotation.
func updateAction(versionBefore, versionAfter int) access.Action {
	if versionAfter != versionBefore {
		return access.ActionIntegrationRotate
	}
	return access.ActionIntegrationUpdate
}

// Delete removes an integration for good (the vendor families whose DELETE
// deletes: Anchor, Infisical).
func (s *Service) Delete(ctx context.Context, actor sb.Actor, id string) (*Record, error) {
	r, err := s.get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationDelete, TargetType: "integration", TargetID: r.ID, TeamID: r.TeamID, Details: map[string]any{"provider": r.Provider, "name": r.Name}})
	if err := s.store.DeleteIntegration(ctx, r.ID, audit); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return nil, errNotFound
		}
		return nil, sb.Internal(err)
	}
	return recordOf(r), nil
}
