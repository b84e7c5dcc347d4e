package access

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// TokenInput is what creating an API token takes.
type TokenInput struct {
	TeamID    string
	Name      string
	ExpiresIn time.Duration // zero: never expires
	ReadOnly  bool
}

// CreateToken creates a team API token and returns its plaintext, which is
// never stored: only its keyed hash is.
func (s *Service) CreateToken(ctx context.Context, actor sb.Actor, in TokenInput) (string, *db.APIToken, error) {
	if _, err := s.Team(ctx, actor, in.TeamID); err != nil {
		return "", nil, err
	}
	if actor.ReadOnly || actor.TokenID != "" {
		return "", nil, sb.Errorf(sb.CodeForbidden, "tokens are created by people, not by tokens")
	}
	v := sb.Validation{}
	name := strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		v.Add("name", "must be 1–100 characters")
	}
	if in.ExpiresIn < 0 {
		v.Add("expires", "must be in the future")
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	plain, err := secrets.NewToken(TokenPrefix)
	if err != nil {
		return "", nil, sb.Internal(err)
	}
	t := &db.APIToken{
		ID: uuid.NewString(), TeamID: in.TeamID, Name: name, ReadOnly: in.ReadOnly,
		TokenHash:     s.keys.MAC("api-token", []byte(plain)),
		DisplayPrefix: plain[:len(TokenPrefix)+6],
	}
	if actor.UserID != "" {
		t.CreatedBy = &actor.UserID
	}
	if in.ExpiresIn > 0 {
		e := s.Now().Add(in.ExpiresIn)
		t.ExpiresAt = &e
	}
	audit := Audit(actor, "token.create", "api_token", t.ID, in.TeamID, map[string]any{"name": name, "read_only": in.ReadOnly, "prefix": t.DisplayPrefix})
	if err := s.store.CreateAPIToken(ctx, t, audit); err != nil {
		return "", nil, sb.Internal(err)
	}
	return plain, t, nil
}

// Authenticate turns a bearer token into an actor scoped to the token's team.
// A token with a bad checksum is refused before any database query.
func (s *Service) Authenticate(ctx context.Context, token string, m Meta) (sb.Actor, error) {
	unauth := sb.Errorf(sb.CodeUnauthorized, "missing or invalid API token")
	if !secrets.CheckToken(TokenPrefix, token) {
		return sb.Actor{}, unauth
	}
	t, err := s.store.APITokenByHash(ctx, s.keys.MACCandidates("api-token", []byte(token)))
	if errors.Is(err, db.ErrNotFound) {
		return sb.Actor{}, unauth
	} else if err != nil {
		return sb.Actor{}, sb.Internal(err)
	}
	now := s.Now()
	if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) || t.CreatorDisabled {
		return sb.Actor{}, unauth
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID); err != nil {
			s.log.WarnContext(ctx, "record token use", "token_id", t.ID, "err", err)
		}
	}
	return sb.Actor{TokenID: t.ID, Email: "token " + t.Name, Role: sb.RoleSupport, Teams: []string{t.TeamID}, ReadOnly: t.ReadOnly, IP: m.IP, UserAgent: m.UserAgent}, nil
}

// Tokens lists a team's API tokens (never their values).
func (s *Service) Tokens(ctx context.Context, actor sb.Actor, teamID string) ([]db.APIToken, error) {
	if _, err := s.Team(ctx, actor, teamID); err != nil {
		return nil, err
	}
	ts, err := s.store.ListAPITokens(ctx, teamID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return ts, nil
}
