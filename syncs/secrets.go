package syncs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"switchboard/access"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
)

// Environment is one environment of a team.
type Environment struct {
	ID, TeamID, Slug, Name string
	Position               int
	CreatedAt              time.Time
}

// Secret is a team secret as every answer shows it: never its value.
type Secret struct {
	ID, TeamID, Environment, Path, Key, Comment string
	Version                                     int
	UpdatedBy                                   string
	CreatedAt, UpdatedAt                        time.Time
}

// MaskedValue stands for every secret value in every answer and page:
// values are write-only (Infisical's own placeholder for a hidden value).
const MaskedValue = "<hidden-by-infisical>"

var (
	keyRE     = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	envSlugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)
	segmentRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// MaxValueBytes bounds one secret value.
const MaxValueBytes = 64 << 10

// ValidateKey checks a secret key against Infisical's rules: letters,
// digits, _, - and ., 1–256 characters.
func ValidateKey(v sb.Validation, field, key string) {
	if !keyRE.MatchString(key) {
		v.Add(field, "Secret key can only contain letters, digits, underscores (_), dashes (-) and dots (.), 1–256 characters")
	}
}

// NormalizePath checks a folder path ("/", "/a/b"; a trailing slash is
// dropped) and returns its one spelling.
func NormalizePath(v sb.Validation, field, p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return "/"
	}
	if !strings.HasPrefix(p, "/") {
		v.Add(field, "Folder path must start with /")
		return p
	}
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "/"
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if !segmentRE.MatchString(seg) {
			v.Add(field, "Folder names can only contain letters, digits, dashes and underscores (1–64 characters each)")
			return p
		}
	}
	if len(p) > 1024 {
		v.Add(field, "Folder path is too long")
	}
	return p
}

func validateValue(v sb.Validation, field, value string) {
	if len(value) > MaxValueBytes {
		v.Add(field, fmt.Sprintf("Secret value must be at most %d bytes", MaxValueBytes))
	} else if !utf8.ValidString(value) {
		v.Add(field, "Secret value must be UTF-8 text")
	}
}

func validateComment(v sb.Validation, field, c string) {
	if utf8.RuneCountInString(c) > 1000 {
		v.Add(field, "Secret comment must be at most 1000 characters")
	}
}

// Scope names a folder of a team's environment, as every secrets request does.
type Scope struct {
	ProjectID   string
	Environment string
	SecretPath  string
}

type scope struct {
	team *db.Team
	env  *db.Environment
	path string
}

// resolve finds the team, environment and existing folder of a request.
func (s *Service) resolve(ctx context.Context, actor sb.Actor, sc Scope, v sb.Validation) (*scope, error) {
	t, err := s.team(ctx, actor, sc.ProjectID)
	if err != nil {
		return nil, err
	}
	path := NormalizePath(v, "secretPath", sc.SecretPath)
	env := strings.TrimSpace(sc.Environment)
	if env == "" {
		v.Add("environment", "Required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	e, err := s.store.EnvironmentBySlug(ctx, t.ID, env)
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeNotFound, "Environment with slug '%s' in project with ID '%s' not found", clip(env, 64), t.ID)
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	ok, err := s.store.FolderExists(ctx, e.ID, path)
	if err != nil {
		return nil, sb.Internal(err)
	}
	if !ok {
		return nil, sb.Errorf(sb.CodeNotFound, "Folder with path '%s' in environment with slug '%s' not found", clip(path, 256), e.Slug)
	}
	return &scope{team: t, env: e, path: path}, nil
}

func toSecret(sc *scope, r *db.TeamSecret) Secret {
	return Secret{ID: r.ID, TeamID: r.TeamID, Environment: sc.env.Slug, Path: r.Path, Key: r.Key, Comment: r.Comment,
		Version: r.Version, UpdatedBy: r.UpdatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// ListSecrets returns the secrets of one folder, without values.
func (s *Service) ListSecrets(ctx context.Context, actor sb.Actor, sc Scope) ([]Secret, error) {
	r, err := s.resolve(ctx, actor, sc, sb.Validation{})
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Secrets(ctx, r.env.ID, r.path)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]Secret, len(rows))
	for i := range rows {
		out[i] = toSecret(r, &rows[i])
	}
	return out, nil
}

// SecretInput is one secret to write. Value nil keeps the stored value (an
// edit that changes only the comment); Comment nil keeps the comment.
type SecretInput struct {
	Key     string
	Value   *string
	Comment *string
}

func (s *Service) seal(id, value string) (string, []byte, error) {
	return s.keys.Seal([]byte(value), secretAAD(id))
}

// CreateSecret adds a secret; a key that exists in the folder is a 400, as
// in Infisical.
func (s *Service) CreateSecret(ctx context.Context, actor sb.Actor, sc Scope, in SecretInput) (*Secret, error) {
	out, err := s.writeSecrets(ctx, actor, sc, []SecretInput{in}, modeCreate, "secret.create")
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// UpdateSecret changes a secret's value and/or comment; its version goes up.
func (s *Service) UpdateSecret(ctx context.Context, actor sb.Actor, sc Scope, in SecretInput) (*Secret, error) {
	out, err := s.writeSecrets(ctx, actor, sc, []SecretInput{in}, modeUpdate, "secret.update")
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// CreateSecrets adds many secrets at once, all or nothing.
func (s *Service) CreateSecrets(ctx context.Context, actor sb.Actor, sc Scope, in []SecretInput) ([]Secret, error) {
	return s.writeSecrets(ctx, actor, sc, in, modeCreate, "secret.create")
}

// UpsertSecrets creates or updates many secrets at once, all or nothing
// (the bulk .env import).
func (s *Service) UpsertSecrets(ctx context.Context, actor sb.Actor, sc Scope, in []SecretInput) ([]Secret, error) {
	return s.writeSecrets(ctx, actor, sc, in, modeUpsert, "secret.import")
}

type writeMode int

const (
	modeCreate writeMode = iota
	modeUpdate
	modeUpsert
)

func (s *Service) writeSecrets(ctx context.Context, actor sb.Actor, sc Scope, in []SecretInput, mode writeMode, action string) ([]Secret, error) {
	v := sb.Validation{}
	if len(in) == 0 {
		v.Add("secrets", "At least one secret is required")
	}
	if len(in) > 1000 {
		v.Add("secrets", "At most 1000 secrets at once")
	}
	seen := map[string]bool{}
	for i, x := range in {
		field := "secretName"
		if len(in) > 1 || action == "secret.import" {
			field = fmt.Sprintf("secrets.%d.secretKey", i)
		}
		ValidateKey(v, field, x.Key)
		if seen[x.Key] {
			v.Add(field, "Duplicate secret key "+clip(x.Key, 64))
		}
		seen[x.Key] = true
		if x.Value == nil && mode != modeUpdate {
			v.Add(strings.Replace(strings.Replace(field, "secretKey", "secretValue", 1), "secretName", "secretValue", 1), "Required")
		}
		if x.Value != nil {
			validateValue(v, "secretValue", *x.Value)
		}
		if x.Comment != nil {
			validateComment(v, "secretComment", *x.Comment)
		}
	}
	r, err := s.resolve(ctx, actor, sc, v)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	existing, err := s.store.Secrets(ctx, r.env.ID, r.path)
	if err != nil {
		return nil, sb.Internal(err)
	}
	byKey := map[string]*db.TeamSecret{}
	for i := range existing {
		byKey[existing[i].Key] = &existing[i]
	}
	ch := &db.SecretChanges{EnvID: r.env.ID, Path: r.path}
	var rows []*db.TeamSecret
	by := actorLabel(actor)
	for _, x := range in {
		old := byKey[x.Key]
		switch {
		case old != nil && mode == modeCreate:
			return nil, sb.Errorf(sb.CodeBadRequest, "Secret with key '%s' already exists", clip(x.Key, 64))
		case old == nil && mode == modeUpdate:
			return nil, sb.Errorf(sb.CodeNotFound, "Secret with key '%s' not found", clip(x.Key, 64))
		case old == nil:
			row := db.TeamSecret{ID: uuid.NewString(), TeamID: r.team.ID, EnvID: r.env.ID, Path: r.path, Key: x.Key, Version: 1, UpdatedBy: by}
			if x.Comment != nil {
				row.Comment = *x.Comment
			}
			row.ValueKeyID, row.ValueCiphertext, err = s.seal(row.ID, *x.Value)
			if err != nil {
				return nil, sb.Internal(err)
			}
			ch.Create = append(ch.Create, row)
		default:
			row := *old
			row.Version, row.UpdatedBy = old.Version+1, by
			if x.Comment != nil {
				row.Comment = *x.Comment
			}
			if x.Value != nil {
				row.ValueKeyID, row.ValueCiphertext, err = s.seal(row.ID, *x.Value)
				if err != nil {
					return nil, sb.Internal(err)
				}
			}
			ch.Update = append(ch.Update, row)
		}
	}
	keys := []map[string]any{}
	for i := range ch.Create {
		rows = append(rows, &ch.Create[i])
		keys = append(keys, map[string]any{"key": ch.Create[i].Key, "version": 1})
	}
	for i := range ch.Update {
		rows = append(rows, &ch.Update[i])
		keys = append(keys, map[string]any{"key": ch.Update[i].Key, "version": ch.Update[i].Version})
	}
	act := action
	if action == "secret.create" && len(ch.Update) > 0 || action == "secret.update" && len(ch.Create) > 0 {
		act = "secret.import"
	}
	ch.Audit = append(ch.Audit, audit(actor, access.Action(act), "secret_folder", r.env.ID+":"+r.path, r.team.ID,
		map[string]any{"environment": r.env.Slug, "path": r.path, "secrets": keys}))
	if err := s.store.ApplySecretChanges(ctx, ch); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, sb.Errorf(sb.CodeBadRequest, "The secrets changed while they were being written; try again")
		}
		return nil, sb.Internal(err)
	}
	s.kick()
	out := make([]Secret, len(rows))
	for i, row := range rows {
		out[i] = toSecret(r, row)
	}
	return out, nil
}

// DeleteSecret removes a secret; the integrations syncing the folder will
// remove it from their targets (only where they wrote it).
func (s *Service) DeleteSecret(ctx context.Context, actor sb.Actor, sc Scope, key string) (*Secret, error) {
	v := sb.Validation{}
	ValidateKey(v, "secretName", key)
	r, err := s.resolve(ctx, actor, sc, v)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	old, err := s.store.SecretByKey(ctx, r.env.ID, r.path, key)
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeNotFound, "Secret with key '%s' not found", clip(key, 64))
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	ch := &db.SecretChanges{EnvID: r.env.ID, Path: r.path, Delete: []string{key}, Audit: []*db.AuditEvent{
		audit(actor, "secret.delete", "secret_folder", r.env.ID+":"+r.path, r.team.ID,
			map[string]any{"environment": r.env.Slug, "path": r.path, "secrets": []map[string]any{{"key": key, "version": old.Version}}}),
	}}
	if err := s.store.ApplySecretChanges(ctx, ch); errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeNotFound, "Secret with key '%s' not found", clip(key, 64))
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	s.kick()
	out := toSecret(r, old)
	return &out, nil
}

// ---- environments and folders ----
