package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	sb "switchboard"
	"switchboard/access"
	"switchboard/db"
)

// sameCredentials compares two credential maps as JSON would.
func sameCredentials(a, b map[string]any) bool {
	norm := func(m map[string]any) any {
		buf, _ := json.Marshal(m)
		var out any
		json.Unmarshal(buf, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// UpdateAppConnection applies a PATCH: name, description, credentials.
// Credentials are validated against the stored method; secret fields left
// out or blank keep their stored values. Only credentials that differ from
// the stored ones are re-sealed, and only then does the version go up (and
// credentialsHash change).
func (s *Service) UpdateAppConnection(ctx context.Context, actor sb.Actor, app, id string, in AppConnectionUpdate) (*AppConnection, error) {
	r, a, err := s.appConnectionRow(ctx, actor, app, id)
	if err != nil {
		return nil, err
	}
	catApp, _ := InfisicalAppBySlug(a.App)
	m, err := catalogueMethod(a)
	if err != nil {
		return nil, err
	}
	v := sb.Validation{}
	name := r.Name
	if in.Name != nil {
		name = validateConnName(v, *in.Name)
	}
	desc := a.Description
	if in.DescriptionSet {
		desc = validateConnDescription(v, in.Description)
	}
	validateUnsupported(v, catApp, in.IsPlatformManagedCredentials, in.GatewayID)
	if in.Method != nil && strings.TrimSpace(*in.Method) != m.Slug {
		v.Add("method", "cannot be changed: this connection uses "+m.Slug)
	}
	if in.ProjectID != nil && strings.TrimSpace(*in.ProjectID) != r.TeamID {
		v.Add("projectId", "cannot be changed: a connection stays in its project")
	}
	var stored, creds map[string]any
	if in.Credentials != nil {
		stored, err = s.openAppCredentials(r)
		if err != nil {
			return nil, err
		}
		creds, err = m.ValidateCredentials(m.keepStoredSecrets(in.Credentials, stored))
		if err != nil {
			v.Merge(err)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	row := r.Integration
	changed := []string{}
	if name != r.Name {
		row.Name, row.UniqueKey = name, ptr(name)
		changed = append(changed, "name")
	}
	if !reflect.DeepEqual(desc, a.Description) {
		changed = append(changed, "description")
	}
	newAttrs := appConnectionAttrs{App: a.App, Method: a.Method, Description: desc, Credentials: a.Credentials}
	if creds != nil && !sameCredentials(creds, stored) {
		keyID, ct, err := s.SealCredentials(row.ID, creds)
		if err != nil {
			return nil, sb.Internal(err)
		}
		row.SecretKeyID, row.SecretCiphertext = &keyID, ct
		row.Version++
		newAttrs.Credentials = m.Returned(creds)
		changed = append(changed, "credentials")
	}
	attrs, err := json.Marshal(newAttrs)
	if err != nil {
		return nil, sb.Internal(err)
	}
	row.Attrs = string(attrs)
	audit := access.Audit(actor, access.Event{Action: updateAction(r.Version, row.Version), TargetType: "integration", TargetID: row.ID, TeamID: row.TeamID, Details: map[string]any{
		"provider": ProviderInfisical, "app": a.App, "changed": changed, "version": row.Version,
	}})

	if err := s.store.UpdateIntegration(ctx, &row, audit); err != nil {
		switch {
		case errors.Is(err, db.ErrConflict):
			return nil, duplicateName(name)
		case errors.Is(err, db.ErrNotFound):
			return nil, connNotFound(id)
		}
		return nil, sb.Internal(err)
	}
	return s.appConnectionOf(ctx, &db.IntegrationRow{Integration: row, TeamName: r.TeamName, TeamSlug: r.TeamSlug})
}

// DeleteAppConnection deletes a connection and its sealed credentials, and
// returns it as it was.
func (s *Service) DeleteAppConnection(ctx context.Context, actor sb.Actor, app, id string) (*AppConnection, error) {
	r, _, err := s.appConnectionRow(ctx, actor, app, id)
	if err != nil {
		return nil, err
	}
	c, err := s.appConnectionOf(ctx, r)
	if err != nil {
		return nil, err
	}
	if _, err := s.Delete(ctx, actor, r.ID); err != nil {
		if sb.ErrorCode(err) == sb.CodeNotFound {
			return nil, connNotFound(id)
		}
		return nil, err
	}
	return c, nil
}
