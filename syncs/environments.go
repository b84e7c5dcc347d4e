package syncs

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
)

// Environments lists a team's environments.
func (s *Service) Environments(ctx context.Context, actor sb.Actor, projectID string) ([]Environment, error) {
	t, err := s.team(ctx, actor, projectID)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Environments(ctx, t.ID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]Environment, len(rows))
	for i, e := range rows {
		out[i] = Environment{ID: e.ID, TeamID: e.TeamID, Slug: e.Slug, Name: e.Name, Position: e.Position, CreatedAt: e.CreatedAt}
	}
	return out, nil
}

func validateEnv(v sb.Validation, slug, name string) {
	if !envSlugRE.MatchString(slug) {
		v.Add("slug", "Environment slug can only contain lowercase letters, digits and dashes (1–64)")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 1 || n > 64 {
		v.Add("name", "Environment name must be 1–64 characters")
	}
}

// CreateEnvironment adds an environment to a team.
func (s *Service) CreateEnvironment(ctx context.Context, actor sb.Actor, projectID, slug, name string) (*Environment, error) {
	t, err := s.team(ctx, actor, projectID)
	if err != nil {
		return nil, err
	}
	slug, name = strings.TrimSpace(slug), strings.TrimSpace(name)
	v := sb.Validation{}
	validateEnv(v, slug, name)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	e := &db.Environment{ID: uuid.NewString(), TeamID: t.ID, Slug: slug, Name: name}
	err = s.store.CreateEnvironment(ctx, e, audit(actor, "secret_env.create", "secret_environment", e.ID, t.ID, map[string]any{"slug": slug, "name": name}))
	if errors.Is(err, db.ErrConflict) {
		return nil, sb.Errorf(sb.CodeBadRequest, "Environment with slug '%s' already exists", slug)
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return &Environment{ID: e.ID, TeamID: t.ID, Slug: slug, Name: name, Position: e.Position, CreatedAt: e.CreatedAt}, nil
}

// UpdateEnvironment renames an environment.
func (s *Service) UpdateEnvironment(ctx context.Context, actor sb.Actor, projectID, id, slug, name string) (*Environment, error) {
	t, err := s.team(ctx, actor, projectID)
	if err != nil {
		return nil, err
	}
	e, err := s.envByID(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	slug, name = strings.TrimSpace(slug), strings.TrimSpace(name)
	// PATCH's members are optional (Infisical's): an absent one is kept.
	if slug == "" {
		slug = e.Slug
	}
	if name == "" {
		name = e.Name
	}
	v := sb.Validation{}
	validateEnv(v, slug, name)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	old := e.Slug
	e.Slug, e.Name = slug, name
	err = s.store.UpdateEnvironment(ctx, e, audit(actor, "secret_env.update", "secret_environment", e.ID, t.ID, map[string]any{"slug": slug, "old_slug": old, "name": name}))
	if errors.Is(err, db.ErrConflict) {
		return nil, sb.Errorf(sb.CodeBadRequest, "Environment with slug '%s' already exists", slug)
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return &Environment{ID: e.ID, TeamID: t.ID, Slug: slug, Name: name, Position: e.Position, CreatedAt: e.CreatedAt}, nil
}

// DeleteEnvironment removes an environment with its secrets and the
// integrations that sync from it.
func (s *Service) DeleteEnvironment(ctx context.Context, actor sb.Actor, projectID, id string) (*Environment, error) {
	t, err := s.team(ctx, actor, projectID)
	if err != nil {
		return nil, err
	}
	e, err := s.envByID(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	if err := s.store.DeleteEnvironment(ctx, e.ID, audit(actor, "secret_env.delete", "secret_environment", e.ID, t.ID, map[string]any{"slug": e.Slug})); err != nil {
		return nil, sb.Internal(err)
	}
	return &Environment{ID: e.ID, TeamID: t.ID, Slug: e.Slug, Name: e.Name, Position: e.Position, CreatedAt: e.CreatedAt}, nil
}

func (s *Service) envByID(ctx context.Context, teamID, id string) (*db.Environment, error) {
	nf := sb.Errorf(sb.CodeNotFound, "Environment with ID '%s' not found", clip(id, 64))
	cid, ok := canonicalID(id)
	if !ok {
		return nil, nf
	}
	e, err := s.store.EnvironmentByID(ctx, cid)
	if errors.Is(err, db.ErrNotFound) || err == nil && e.TeamID != teamID {
		return nil, nf
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return e, nil
}

// Folder is one folder of an environment.
type Folder struct {
	ID, Name, Path, Environment string
	CreatedAt                   time.Time
}

// CreateFolder adds folder name under parent path (which must exist).
func (s *Service) CreateFolder(ctx context.Context, actor sb.Actor, sc Scope, name string) (*Folder, error) {
	v := sb.Validation{}
	name = strings.TrimSpace(name)
	if !segmentRE.MatchString(name) {
		v.Add("name", "Folder name can only contain letters, digits, dashes and underscores (1–64)")
	}
	r, err := s.resolve(ctx, actor, Scope{ProjectID: sc.ProjectID, Environment: sc.Environment, SecretPath: sc.SecretPath}, v)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	path := strings.TrimRight(r.path, "/") + "/" + name
	f := &db.Folder{ID: uuid.NewString(), EnvID: r.env.ID, Path: path}
	err = s.store.CreateFolder(ctx, f, audit(actor, "secret_folder.create", "secret_folder", r.env.ID+":"+path, r.team.ID, map[string]any{"environment": r.env.Slug, "path": path}))
	if errors.Is(err, db.ErrConflict) {
		return nil, sb.Errorf(sb.CodeBadRequest, "Folder with name '%s' already exists", name)
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return &Folder{ID: f.ID, Name: name, Path: path, Environment: r.env.Slug, CreatedAt: f.CreatedAt}, nil
}

// Folders lists an environment's folder paths.
func (s *Service) Folders(ctx context.Context, actor sb.Actor, projectID, env string) ([]Folder, error) {
	r, err := s.resolve(ctx, actor, Scope{ProjectID: projectID, Environment: env, SecretPath: "/"}, sb.Validation{})
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Folders(ctx, r.env.ID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]Folder, len(rows))
	for i, f := range rows {
		out[i] = Folder{ID: f.ID, Name: f.Path[strings.LastIndex(f.Path, "/")+1:], Path: f.Path, Environment: r.env.Slug, CreatedAt: f.CreatedAt}
	}
	return out, nil
}
