package syncs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"switchboard/access"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/syncs/targets"
)

// Initial sync behaviours (Infisical's values).
const (
	OverwriteTarget = "overwrite-target"
	PreferTarget    = "prefer-target"
	PreferSource    = "prefer-source"
)

// Integration is a secret sync as answers show it.
type Integration struct {
	ID, TeamID, AuthID, EnvID, Environment, SecretPath, Integration string
	IsActive                                                        bool
	URL                                                             string
	Spec                                                            targets.Spec
	IsSynced                                                        *bool
	SyncMessage                                                     string
	LastUsed                                                        *time.Time
	ManagedKeys                                                     []string
	CreatedAt, UpdatedAt                                            time.Time
}

// IntegrationInput is the seed's POST /api/v1/integration body (and PATCH's,
// where nil members keep the stored value).
type IntegrationInput struct {
	IntegrationAuthID string
	IsActive          *bool
	SourceEnvironment *string
	SecretPath        *string
	Spec              targets.Spec
}

// toIntegration reads a stored sync. An unreadable spec or managed-keys
// record is an internal error naming the row (as the engine treats it),
// never a sync that silently targets nothing or manages no keys.
func (s *Service) toIntegration(r *db.SecretIntegration, authURL string) (Integration, error) {
	var spec targets.Spec
	if err := json.Unmarshal([]byte(r.Spec), &spec); err != nil {
		return Integration{}, sb.Internal(fmt.Errorf("secret integration %s: stored spec: %w", r.ID, err))
	}
	var keys []string
	if r.ManagedKeys != "" {
		if err := json.Unmarshal([]byte(r.ManagedKeys), &keys); err != nil {
			return Integration{}, sb.Internal(fmt.Errorf("secret integration %s: stored managed keys: %w", r.ID, err))
		}
	}
	if keys == nil {
		keys = []string{}
	}
	return Integration{ID: r.ID, TeamID: r.TeamID, AuthID: r.AuthID, EnvID: r.EnvID, Environment: r.EnvSlug, SecretPath: r.SecretPath,
		Integration: r.Integration, IsActive: r.IsActive, URL: authURL, Spec: spec, IsSynced: r.IsSynced, SyncMessage: r.SyncMessage,
		LastUsed: r.LastUsed, ManagedKeys: keys, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func validateMetadata(v sb.Validation, m *targets.Metadata) {
	switch m.InitialSyncBehavior {
	case "":
		m.InitialSyncBehavior = OverwriteTarget
	case OverwriteTarget, PreferTarget, PreferSource:
	default:
		v.Add("metadata.initialSyncBehavior", "Invalid enum value. Expected 'overwrite-target' | 'prefer-target' | 'prefer-source'")
	}
	if len(m.SecretPrefix) > 64 || len(m.SecretSuffix) > 64 {
		v.Add("metadata.secretPrefix", "Prefix and suffix must be at most 64 characters")
	}
}

// CreateIntegration creates a sync and queues its first run.
func (s *Service) CreateIntegration(ctx context.Context, actor sb.Actor, in IntegrationInput) (*Integration, error) {
	v := sb.Validation{}
	if strings.TrimSpace(in.IntegrationAuthID) == "" {
		v.Add("integrationAuthId", "Required")
	}
	if in.SourceEnvironment == nil || strings.TrimSpace(*in.SourceEnvironment) == "" {
		v.Add("sourceEnvironment", "Required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	a, err := s.authRow(ctx, actor, in.IntegrationAuthID)
	if err != nil {
		return nil, err
	}
	info, _ := targets.Lookup(a.Integration)
	spec := in.Spec
	info.New().Validate(v, &spec)
	validateMetadata(v, &spec.Metadata)
	path := "/"
	if in.SecretPath != nil {
		path = *in.SecretPath
	}
	r, err := s.resolve(ctx, actor, Scope{ProjectID: a.TeamID, Environment: *in.SourceEnvironment, SecretPath: path}, v)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	active := in.IsActive == nil || *in.IsActive
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, sb.Internal(err)
	}
	row := &db.SecretIntegration{ID: uuid.NewString(), TeamID: a.TeamID, AuthID: a.ID, EnvID: r.env.ID, SecretPath: r.path,
		Integration: a.Integration, IsActive: active, Spec: string(b), EnvSlug: r.env.Slug}
	if err := s.store.CreateSecretIntegration(ctx, row, audit(actor, "secret_integration.create", "secret_integration", row.ID, a.TeamID,
		map[string]any{"integration": a.Integration, "environment": r.env.Slug, "path": r.path, "active": active})); err != nil {
		return nil, sb.Internal(err)
	}
	s.kick()
	out, err := s.toIntegration(row, a.URL)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func integrationNotFound(id string) error {
	return sb.Errorf(sb.CodeNotFound, "Integration with ID '%s' not found", clip(id, 64))
}

func (s *Service) integrationRow(ctx context.Context, actor sb.Actor, id string) (*db.SecretIntegration, *db.IntegrationAuth, error) {
	cid, ok := canonicalID(id)
	if !ok {
		return nil, nil, integrationNotFound(id)
	}
	r, err := s.store.SecretIntegrationByID(ctx, cid)
	if errors.Is(err, db.ErrNotFound) || err == nil && !actor.CanUseTeam(r.TeamID) {
		return nil, nil, integrationNotFound(id)
	} else if err != nil {
		return nil, nil, sb.Internal(err)
	}
	a, err := s.store.IntegrationAuthByID(ctx, r.AuthID)
	if err != nil {
		return nil, nil, sb.Internal(err)
	}
	return r, a, nil
}

// GetIntegration returns a sync the actor may see.
func (s *Service) GetIntegration(ctx context.Context, actor sb.Actor, id string) (*Integration, error) {
	r, a, err := s.integrationRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out, err := s.toIntegration(r, a.URL)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Integrations lists a team's syncs.
func (s *Service) Integrations(ctx context.Context, actor sb.Actor, projectID string) ([]Integration, error) {
	t, err := s.team(ctx, actor, projectID)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.SecretIntegrations(ctx, t.ID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	urls := map[string]string{}
	auths, err := s.store.IntegrationAuths(ctx, t.ID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	for _, a := range auths {
		urls[a.ID] = a.URL
	}
	out := make([]Integration, len(rows))
	for i := range rows {
		if out[i], err = s.toIntegration(&rows[i], urls[rows[i].AuthID]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateIntegration applies a PATCH: isActive, environment, secretPath and
// the target's fields; an active sync runs again.
func (s *Service) UpdateIntegration(ctx context.Context, actor sb.Actor, id string, in IntegrationInput, specSet map[string]bool) (*Integration, error) {
	r, a, err := s.integrationRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	cur, err := s.toIntegration(r, a.URL)
	if err != nil {
		return nil, err
	}
	v := sb.Validation{}
	spec := cur.Spec
	mergeSpec(&spec, &in.Spec, specSet)
	info, _ := targets.Lookup(r.Integration)
	info.New().Validate(v, &spec)
	validateMetadata(v, &spec.Metadata)
	env, path := cur.Environment, cur.SecretPath
	if in.SourceEnvironment != nil {
		env = *in.SourceEnvironment
	}
	if in.SecretPath != nil {
		path = *in.SecretPath
	}
	sc, err := s.resolve(ctx, actor, Scope{ProjectID: r.TeamID, Environment: env, SecretPath: path}, v)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	if in.IsActive != nil {
		r.IsActive = *in.IsActive
	}
	b, _ := json.Marshal(spec)
	r.Spec, r.EnvID, r.SecretPath, r.EnvSlug = string(b), sc.env.ID, sc.path, sc.env.Slug
	action := "secret_integration.update"
	if in.IsActive != nil && *in.IsActive != cur.IsActive {
		action = map[bool]string{true: "secret_integration.enable", false: "secret_integration.disable"}[*in.IsActive]
	}
	if err := s.store.UpdateSecretIntegration(ctx, r, audit(actor, access.Action(action), "secret_integration", r.ID, r.TeamID,
		map[string]any{"integration": r.Integration, "environment": sc.env.Slug, "path": sc.path, "active": r.IsActive})); err != nil {
		return nil, sb.Internal(err)
	}
	s.kick()
	return s.GetIntegration(ctx, actor, r.ID)
}

func mergeSpec(dst, src *targets.Spec, set map[string]bool) {
	pick := func(name string, d *string, s string) {
		if set[name] {
			*d = s
		}
	}
	pick("app", &dst.App, src.App)
	pick("appId", &dst.AppID, src.AppID)
	pick("targetEnvironment", &dst.TargetEnvironment, src.TargetEnvironment)
	pick("targetEnvironmentId", &dst.TargetEnvironmentID, src.TargetEnvironmentID)
	pick("targetService", &dst.TargetService, src.TargetService)
	pick("targetServiceId", &dst.TargetServiceID, src.TargetServiceID)
	pick("owner", &dst.Owner, src.Owner)
	pick("path", &dst.Path, src.Path)
	pick("region", &dst.Region, src.Region)
	pick("scope", &dst.Scope, src.Scope)
	if set["metadata"] {
		dst.Metadata = src.Metadata
	}
}

// SyncNow queues a run of an active sync at once.
func (s *Service) SyncNow(ctx context.Context, actor sb.Actor, id string) (*Integration, error) {
	r, a, err := s.integrationRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	if !r.IsActive {
		return nil, sb.Errorf(sb.CodeBadRequest, "Integration is disabled: enable it to sync")
	}
	if err := s.store.EnqueueSync(ctx, r.ID, "sync now", audit(actor, "secret_integration.sync", "secret_integration", r.ID, r.TeamID,
		map[string]any{"integration": r.Integration})); err != nil {
		return nil, sb.Internal(err)
	}
	s.kick()
	out, err := s.toIntegration(r, a.URL)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteIntegration removes a sync; with deleteSecrets it first removes
// from the target the keys the syncs wrote (and only those).
func (s *Service) DeleteIntegration(ctx context.Context, actor sb.Actor, id string, deleteSecrets bool) (*Integration, error) {
	r, a, err := s.integrationRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	out, err := s.toIntegration(r, a.URL)
	if err != nil {
		return nil, err
	}
	removed := 0
	if deleteSecrets && len(out.ManagedKeys) > 0 {
		creds, err := s.credentials(ctx, a)
		if err != nil {
			return nil, sb.Internal(err)
		}
		info, _ := targets.Lookup(r.Integration)
		cctx, cancel := context.WithTimeout(ctx, 2*s.CallTimeout)
		defer cancel()
		call := &targets.Call{Spec: out.Spec, Creds: creds, HTTP: s.HTTPClient()}
		if err := info.New().Apply(cctx, call, nil, out.ManagedKeys); err != nil {
			return nil, sb.Errorf(sb.CodeBadRequest, "Failed to delete the synced secrets: %s", Scrub(err.Error(), credValues(creds)))
		}
		removed = len(out.ManagedKeys)
	}
	if err := s.store.DeleteSecretIntegration(ctx, r.ID, audit(actor, "secret_integration.delete", "secret_integration", r.ID, r.TeamID,
		map[string]any{"integration": r.Integration, "deleted_target_secrets": removed})); err != nil {
		return nil, sb.Internal(err)
	}
	return &out, nil
}

func credValues(c targets.Credentials) []string {
	return []string{c.AccessID, c.AccessToken}
}
