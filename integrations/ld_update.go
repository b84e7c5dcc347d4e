package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
	"switchboard/integrations/launchdarkly"
)

// openLDSealed opens a configuration row's sealed values.
func (s *Service) openLDSealed(r *db.Integration) (ldSealed, error) {
	var sealed ldSealed
	if r.SecretCiphertext == nil {
		return ldSealed{Values: map[string]string{}}, nil
	}
	if err := s.OpenCredentials(r, &sealed); err != nil {
		return sealed, sb.Internal(fmt.Errorf("open integration configuration %s: %w", r.ID, err))
	}
	if sealed.Values == nil {
		sealed.Values = map[string]string{}
	}
	return sealed, nil
}

// UpdateLDConfig replaces a configuration's name, enabled, tags,
// configValues and capabilityConfig, validated as a create is, with what
// an edit keeps: a secret left empty keeps its stored value, a
// disableAfterSaving variable cannot change, an isHidden variable left out
// keeps its value (automation sets those), and generated values and key
// pairs are never made again. The version goes up when a sealed value
// changes; the audit row names what changed.
func (s *Service) UpdateLDConfig(ctx context.Context, actor sb.Actor, id string, in LDConfigInput) (*LDConfig, error) {
	r, cur, err := s.ldRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return s.updateLDConfig(ctx, actor, r, cur, in)
}

func (s *Service) updateLDConfig(ctx context.Context, actor sb.Actor, r *db.IntegrationRow, cur *LDConfig, in LDConfigInput) (*LDConfig, error) {
	m, err := s.Manifest(cur.IntegrationKey)
	if err != nil {
		return nil, sb.Internal(fmt.Errorf("configuration %s: its manifest %q is no longer loaded", r.ID, cur.IntegrationKey))
	}
	if actor.ReadOnly {
		return nil, errLDReadOnly
	}
	sealed, err := s.openLDSealed(&r.Integration)
	if err != nil {
		return nil, err
	}
	defer clear(sealed.Values)
	valid, err := launchdarkly.Edit(m, &cur.Stored, sealed.Values, launchdarkly.Input(in))
	if err != nil {
		return nil, err
	}
	row := r.Integration
	row.Name, row.UniqueKey = valid.Name, ldUniqueKey(r.TeamID, m.Key, valid.Name)
	row.Status = StatusActive
	if !valid.Enabled {
		row.Status = StatusDisabled
	}
	attrs, next, _, err := ldAssemble(m, valid, cur.ConfigValues, sealed.PrivateKeys)
	if err != nil {
		return nil, sb.Internal(err)
	}
	changed := []string{}
	if row.Name != r.Name {
		changed = append(changed, "name")
	}
	if row.Status != r.Status {
		changed = append(changed, "enabled")
	}
	if !launchdarkly.SameValue(attrs.Tags, cur.Tags) {
		changed = append(changed, "tags")
	}
	for _, f := range m.FormVariables {
		a, aok := attrs.ConfigValues[f.Key]
		b, bok := cur.ConfigValues[f.Key]
		switch {
		case f.IsSecret && next.Values[f.Key] != sealed.Values[f.Key]:
			changed = append(changed, "configValues."+f.Key)
		case !f.IsSecret && (aok != bok || !launchdarkly.SameValue(a, b)):
			changed = append(changed, "configValues."+f.Key)
		}
	}
	if !launchdarkly.SameValue(attrs.CapabilityConfig, cur.CapabilityConfig) {
		changed = append(changed, "capabilityConfig")
	}
	if !launchdarkly.SameValue(next, sealed) {
		keyID, ct, err := s.SealCredentials(row.ID, next)
		if err != nil {
			return nil, sb.Internal(err)
		}
		row.SecretKeyID, row.SecretCiphertext = &keyID, ct
		row.Version++
	}
	clear(next.Values)
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, sb.Internal(err)
	}
	row.Attrs = string(b)
	audit := access.Audit(actor, access.Event{Action: updateAction(r.Version, row.Version), TargetType: "integration", TargetID: row.ID, TeamID: row.TeamID, Details: map[string]any{
		"provider": ProviderLaunchDarkly, "integrationKey": m.Key, "changed": changed, "version": row.Version,
	}})

	if err := s.store.UpdateIntegration(ctx, &row, audit); err != nil {
		switch {
		case errors.Is(err, db.ErrConflict):
			msg := fmt.Sprintf("an integration configuration named %q already exists for %s", valid.Name, m.Name)
			return nil, &sb.Error{Code: sb.CodeConflict, Message: msg, Fields: map[string]string{"name": msg}}
		case errors.Is(err, db.ErrNotFound):
			return nil, ldNotFound()
		}
		return nil, sb.Internal(err)
	}
	out, err := ldConfigFrom(&db.IntegrationRow{Integration: row, TeamName: r.TeamName, TeamSlug: r.TeamSlug, CreatedBy: r.CreatedBy})
	if err != nil {
		return nil, sb.Internal(err)
	}
	return out, nil
}

// PatchLDConfig applies a JSON Patch (launchdarkly.Patch) to a
// configuration and saves the result as an edit does (UpdateLDConfig).
func (s *Service) PatchLDConfig(ctx context.Context, actor sb.Actor, id string, ops []launchdarkly.PatchOp) (*LDConfig, error) {
	r, cur, err := s.ldRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errLDReadOnly
	}
	in, err := launchdarkly.Patch(&cur.Stored, ops)
	if err != nil {
		return nil, err
	}
	return s.updateLDConfig(ctx, actor, r, cur, LDConfigInput(*in))
}

var errLDReadOnly = sb.Errorf(sb.CodeForbidden, "this token is read-only: it cannot change integration configurations")
