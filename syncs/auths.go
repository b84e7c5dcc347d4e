package syncs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/syncs/targets"
)

// Auth is an integration auth as answers show it: never its credentials.
type Auth struct {
	ID, TeamID, Integration, URL, Namespace string
	// ConnectionID is set when the auth stands for an app connection.
	ConnectionID string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AuthInput is Infisical's POST /api/v1/integration-auth/access-token body.
type AuthInput struct {
	WorkspaceID         string
	Integration         string
	AccessID            string
	AccessToken         string
	URL                 string
	Namespace           string
	RefreshToken        string
	AWSAssumeIAMRoleARN string
}

// sealedAuth is what an auth's ciphertext opens to.
type sealedAuth struct {
	AccessID     string `json:"accessId,omitempty"`
	AccessToken  string `json:"accessToken,omitempty"`
	RefreshToken string `json:"refreshToken,omitempty"`
}

func toAuth(a *db.IntegrationAuth) Auth {
	out := Auth{ID: a.ID, TeamID: a.TeamID, Integration: a.Integration, URL: a.URL, Namespace: a.Namespace, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if a.ConnectionID != nil {
		out.ConnectionID = *a.ConnectionID
	}
	return out
}

func validateURL(v sb.Validation, field, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		v.Add(field, "Invalid URL: use http(s)://host[/path]")
	}
	return strings.TrimRight(raw, "/")
}

// CreateAuth stores a credential for a target, sealed.
func (s *Service) CreateAuth(ctx context.Context, actor sb.Actor, in AuthInput) (*Auth, error) {
	v := sb.Validation{}
	if strings.TrimSpace(in.WorkspaceID) == "" {
		v.Add("workspaceId", "Required")
	}
	info, ok := targets.Lookup(strings.TrimSpace(in.Integration))
	if !ok {
		v.Add("integration", "Unsupported integration: use one of "+targetList())
	}
	u := validateURL(v, "url", in.URL)
	if ok {
		switch info.Slug {
		case "aws-parameter-store", "aws-secret-manager":
			if in.AccessID == "" || in.AccessToken == "" {
				v.Add("accessToken", "AWS needs accessId (access key id) and accessToken (secret access key)")
			}
		case "hashicorp-vault":
			if u == "" {
				v.Add("url", "Required: the Vault server's URL")
			}
			if in.AccessID == "" || in.AccessToken == "" {
				v.Add("accessToken", "Vault needs accessId (AppRole role id) and accessToken (secret id)")
			}
		default:
			if in.AccessToken == "" {
				v.Add("accessToken", "Required")
			}
		}
	}
	if len(in.AccessID) > 1024 || len(in.AccessToken) > 16<<10 || len(in.RefreshToken) > 16<<10 {
		v.Add("accessToken", "Too long")
	}
	if len(in.Namespace) > 256 {
		v.Add("namespace", "Too long")
	}
	if v.Err() != nil && strings.TrimSpace(in.WorkspaceID) == "" {
		return nil, v.Err()
	}
	t, err := s.team(ctx, actor, in.WorkspaceID)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	row := &db.IntegrationAuth{ID: uuid.NewString(), TeamID: t.ID, Integration: info.Slug, URL: u, Namespace: strings.TrimSpace(in.Namespace),
		AWSRoleARN: strings.TrimSpace(in.AWSAssumeIAMRoleARN), CreatedBy: actorLabel(actor)}
	b, err := json.Marshal(sealedAuth{AccessID: in.AccessID, AccessToken: in.AccessToken, RefreshToken: in.RefreshToken})
	if err != nil {
		return nil, sb.Internal(err)
	}
	keyID, ct, err := s.keys.Seal(b, authAAD(row.ID))
	clear(b)
	if err != nil {
		return nil, sb.Internal(err)
	}
	row.SecretKeyID, row.SecretCiphertext = &keyID, ct
	if err := s.store.CreateIntegrationAuth(ctx, row, audit(actor, "integration_auth.create", "integration_auth", row.ID, t.ID,
		map[string]any{"integration": row.Integration, "url": row.URL})); err != nil {
		return nil, sb.Internal(err)
	}
	out := toAuth(row)
	return &out, nil
}

// CreateAuthFromConnection stores an auth that references an existing
// Infisical app connection of a matching app ("Use for secret syncs").
func (s *Service) CreateAuthFromConnection(ctx context.Context, actor sb.Actor, projectID, integration, connectionID string) (*Auth, error) {
	t, err := s.team(ctx, actor, projectID)
	if err != nil {
		return nil, err
	}
	v := sb.Validation{}
	info, ok := targets.Lookup(integration)
	if !ok || info.ConnectionApp == "" {
		v.Add("integration", "This target cannot use an app connection")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	cid, ok := canonicalID(connectionID)
	if !ok || s.Connections == nil {
		return nil, sb.Errorf(sb.CodeNotFound, "App connection with ID '%s' not found", clip(connectionID, 64))
	}
	app, method, _, err := s.Connections.ConnectionCredentials(ctx, t.ID, cid)
	if err != nil {
		return nil, err
	}
	if app != info.ConnectionApp || app == "aws" && method != "access-key" || app == "hashicorp-vault" && method != "app-role" {
		return nil, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{
			"connectionId": fmt.Sprintf("a %s connection (%s) cannot be used for %s", app, method, info.Title)}}
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	row := &db.IntegrationAuth{ID: uuid.NewString(), TeamID: t.ID, Integration: info.Slug, ConnectionID: &cid, CreatedBy: actorLabel(actor)}
	if err := s.store.CreateIntegrationAuth(ctx, row, audit(actor, "integration_auth.create", "integration_auth", row.ID, t.ID,
		map[string]any{"integration": row.Integration, "connection_id": cid})); err != nil {
		return nil, sb.Internal(err)
	}
	out := toAuth(row)
	return &out, nil
}

func targetList() string {
	var names []string
	for _, t := range targets.All() {
		names = append(names, t.Slug)
	}
	return strings.Join(names, ", ")
}

func authNotFound(id string) error {
	return sb.Errorf(sb.CodeNotFound, "Integration auth with ID '%s' not found", clip(id, 64))
}

func (s *Service) authRow(ctx context.Context, actor sb.Actor, id string) (*db.IntegrationAuth, error) {
	cid, ok := canonicalID(id)
	if !ok {
		return nil, authNotFound(id)
	}
	a, err := s.store.IntegrationAuthByID(ctx, cid)
	if errors.Is(err, db.ErrNotFound) || err == nil && !actor.CanUseTeam(a.TeamID) {
		return nil, authNotFound(id)
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return a, nil
}

// GetAuth returns an auth the actor may see.
func (s *Service) GetAuth(ctx context.Context, actor sb.Actor, id string) (*Auth, error) {
	a, err := s.authRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out := toAuth(a)
	return &out, nil
}

// Auths lists a team's auths.
func (s *Service) Auths(ctx context.Context, actor sb.Actor, projectID string) ([]Auth, error) {
	t, err := s.team(ctx, actor, projectID)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.IntegrationAuths(ctx, t.ID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]Auth, len(rows))
	for i := range rows {
		out[i] = toAuth(&rows[i])
	}
	return out, nil
}

// DeleteAuth removes an auth and the integrations that use it (their target
// secrets stay where they are).
func (s *Service) DeleteAuth(ctx context.Context, actor sb.Actor, id string) (*Auth, error) {
	a, err := s.authRow(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, errReadOnly
	}
	if err := s.store.DeleteIntegrationAuth(ctx, a.ID, audit(actor, "integration_auth.delete", "integration_auth", a.ID, a.TeamID,
		map[string]any{"integration": a.Integration})); err != nil {
		return nil, sb.Internal(err)
	}
	out := toAuth(a)
	return &out, nil
}

// credentials opens an auth's credentials for one sync: its own sealed
// values, or the referenced connection's current ones.
func (s *Service) credentials(ctx context.Context, a *db.IntegrationAuth) (targets.Credentials, error) {
	if a.ConnectionID != nil {
		if s.Connections == nil {
			return targets.Credentials{}, errors.New("app connections are not available")
		}
		_, _, c, err := s.Connections.ConnectionCredentials(ctx, a.TeamID, *a.ConnectionID)
		if err != nil {
			return targets.Credentials{}, fmt.Errorf("the app connection it uses cannot be opened: %w", err)
		}
		str := func(k string) string { v, _ := c[k].(string); return v }
		switch a.Integration {
		case "aws-parameter-store", "aws-secret-manager":
			return targets.Credentials{AccessID: str("accessKeyId"), AccessToken: str("secretAccessKey")}, nil
		case "hashicorp-vault":
			return targets.Credentials{AccessID: str("roleId"), AccessToken: str("secretId"), URL: str("instanceUrl"), Namespace: str("namespace")}, nil
		case "gitlab":
			return targets.Credentials{AccessToken: str("accessToken"), URL: str("instanceUrl")}, nil
		}
		return targets.Credentials{}, fmt.Errorf("target %s cannot use an app connection", a.Integration)
	}
	if a.SecretKeyID == nil {
		return targets.Credentials{}, errors.New("the auth has no sealed credentials")
	}
	b, err := s.keys.Open(*a.SecretKeyID, a.SecretCiphertext, authAAD(a.ID))
	if err != nil {
		return targets.Credentials{}, fmt.Errorf("open auth %s: %w", a.ID, err)
	}
	defer clear(b)
	var sa sealedAuth
	if err := json.Unmarshal(b, &sa); err != nil {
		return targets.Credentials{}, fmt.Errorf("decode auth %s: %w", a.ID, err)
	}
	return targets.Credentials{AccessID: sa.AccessID, AccessToken: sa.AccessToken, URL: a.URL, Namespace: a.Namespace}, nil
}
