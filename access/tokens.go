package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// TouchInterval is how often a token's last_used_at moves at most: a busy
// script does not turn every read into a write.
const TouchInterval = time.Minute

// TokenExpiry is one lifetime offered by the tokens page.
type TokenExpiry struct {
	Value string
	Label string
	// In is the lifetime; zero never expires.
	In time.Duration
}

// TokenExpiries are the lifetimes the tokens page offers, the default first
// among the bounded ones (the CLI's --expires takes any duration).
var TokenExpiries = []TokenExpiry{
	{Value: "30d", Label: "30 days", In: 30 * 24 * time.Hour},
	{Value: "90d", Label: "90 days", In: 90 * 24 * time.Hour},
	{Value: "1y", Label: "1 year", In: 365 * 24 * time.Hour},
	{Value: "never", Label: "Never", In: 0},
}

// DefaultTokenExpiry is the choice the tokens page preselects.
const DefaultTokenExpiry = "90d"

// The access choices of the tokens page.
const (
	TokenReadOnly  = "read-only"
	TokenReadWrite = "read-write"
)

// TokenInput is what creating an API token takes.
type TokenInput struct {
	TeamID string
	Name   string
	// Form is set by the tokens page: Expiry and Access are then required
	// choices, so a post that leaves one out is refused rather than given
	// a default. Without it ExpiresIn and ReadOnly apply (the CLI).
	Form bool
	// Expiry is a TokenExpiries value.
	Expiry string
	// ExpiresIn is the lifetime; zero never expires.
	ExpiresIn time.Duration
	// Access is TokenReadOnly or TokenReadWrite.
	Access   string
	ReadOnly bool
}

// CreateToken creates a team API token and returns its plaintext, which is
// never stored: only its keyed hash is. A team the actor may not use is a
// team_id field error (the form offers only the actor's teams), so the
// answer tells nothing of the other team.
func (s *Service) CreateToken(ctx context.Context, actor sb.Actor, in TokenInput) (string, *db.APIToken, error) {
	if actor.ReadOnly || actor.TokenID != "" {
		return "", nil, sb.Errorf(sb.CodeForbidden, "tokens are created by people, not by tokens")
	}
	v := sb.Validation{}
	team, err := s.Team(ctx, actor, in.TeamID)
	if sb.ErrorCode(err) == sb.CodeNotFound {
		v.Add("team_id", "choose one of your teams")
	} else if err != nil {
		return "", nil, err
	}
	name := strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		v.Add("name", "must be 1–100 characters")
	}
	expiresIn, readOnly := in.ExpiresIn, in.ReadOnly
	if in.Form {
		expiresIn = -1
		for _, e := range TokenExpiries {
			if e.Value == in.Expiry {
				expiresIn = e.In
			}
		}
		if expiresIn < 0 {
			v.Add("expires", "choose 30 days, 90 days, 1 year or never")
		}
	} else if expiresIn < 0 {
		v.Add("expires", "must be in the future")
	}
	if in.Form {
		switch in.Access {
		case TokenReadOnly:
			readOnly = true
		case TokenReadWrite:
			readOnly = false
		default:
			v.Add("access", "choose read-only or read-write")
		}
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	plain, err := secrets.NewToken(TokenPrefix)
	if err != nil {
		return "", nil, sb.Internal(err)
	}
	t := &db.APIToken{
		ID: uuid.NewString(), TeamID: team.ID, Name: name, ReadOnly: readOnly,
		TokenHash:     s.keys.MAC("api-token", []byte(plain)),
		DisplayPrefix: plain[:len(TokenPrefix)+6],
	}
	if actor.UserID != "" {
		t.CreatedBy = &actor.UserID
	}
	if expiresIn > 0 {
		e := s.Now().Add(expiresIn)
		t.ExpiresAt = &e
	}
	audit := Audit(actor, Event{Action: ActionTokenCreate, TargetType: "api_token", TargetID: t.ID, TeamID: team.ID, Details: map[string]any{"name": name, "read_only": readOnly, "prefix": t.DisplayPrefix, "expires_at": t.ExpiresAt}})
	if err := s.store.CreateAPIToken(ctx, t, audit); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return "", nil, &sb.Error{Code: sb.CodeConflict, Message: "a token with this name exists", Fields: map[string]string{"name": "this team already has a token with this name: choose another or revoke the old one"}}
		}
		return "", nil, sb.Internal(err)
	}
	return plain, t, nil
}

// Authenticate turns a bearer token into an actor scoped to the token's team.
// A token with a bad checksum is refused before any database query. The row
// read here carries last_used_at, so a use is written only when the one
// recorded is older than TouchInterval (at most once a minute per token,
// and no write at all for the requests in between).
//
// The row is kept for RecentFor while nothing that decides who may use the
// token changes (db.Changes: tokens, users, teams, members), so an API
// client's requests in a row cost no lookup; every check below still runs
// on each request. The rate limit is counted by the caller (the API
// limiter's leases, web/ratelimit.go).
func (s *Service) Authenticate(ctx context.Context, token string, m Meta) (sb.Actor, error) {
	unauth := sb.Errorf(sb.CodeUnauthorized, "missing or invalid API token")
	if !secrets.CheckToken(TokenPrefix, token) {
		return sb.Actor{}, unauth
	}
	now := s.Now()
	candidates := s.keys.MACCandidates("api-token", []byte(token))
	// The key is the token's keyed hash under the current key (the token
	// itself is never kept).
	key := candidates[0]
	t, kept := s.tokens.get(key)
	if !kept {
		changes := s.tokens.mark()
		row, err := s.store.APITokenByHash(ctx, candidates)
		if errors.Is(err, db.ErrNotFound) {
			return sb.Actor{}, unauth
		} else if err != nil {
			return sb.Actor{}, sb.Internal(err)
		}
		t = *row
		s.tokens.put(key, changes, t)
	}
	if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) || t.CreatorDisabled || t.CreatorOffTeam {
		return sb.Actor{}, unauth
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > TouchInterval {
		// A failed write must not fail the request: last use is a hint.
		if wrote, err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.log.WarnContext(ctx, "record token use", "token_id", t.ID, "err", err)
		} else {
			if wrote {
				s.log.DebugContext(ctx, "token use recorded", "token_id", t.ID)
			}
			// Written now, or by another request within the minute:
			// the kept row need not ask again for a minute.
			s.tokens.update(key, func(k *db.APIToken) { k.LastUsedAt = &now })
		}
	}
	return sb.Actor{TokenID: t.ID, Email: "token " + t.Name, Role: sb.RoleSupport, Teams: []string{t.TeamID}, ReadOnly: t.ReadOnly, IP: m.IP, UserAgent: m.UserAgent,
		TokenTeamSlug: t.TeamSlug, TokenTeamName: t.TeamName}, nil
}

// Tokens lists a team's API tokens (never their values) with their
// creators' emails; another team is not found.
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

// ExpiringTokens lists the active tokens of the teams the actor may use
// (an admin: every team) that expire within the given time from now and
// are not rolled (a rolled one's end is the roll's grace), soonest first,
// at most limit: what the home page flags.
func (s *Service) ExpiringTokens(ctx context.Context, actor sb.Actor, within time.Duration, limit int) ([]db.APIToken, error) {
	var teams []string
	key := fmt.Sprintf("%d/%d/", within, limit)
	if actor.IsAdmin() {
		key += "*"
	} else {
		teams = append([]string{}, actor.Teams...)
		key += strings.Join(teams, ",")
	}
	if ts, ok := s.expiring.get(key); ok {
		return slices.Clone(ts), nil
	}
	changes, now := s.expiring.mark(), s.Now()
	ts, err := s.store.ExpiringAPITokens(ctx, teams, now, now.Add(within), limit)
	if err != nil {
		return nil, sb.Internal(err)
	}
	s.expiring.put(key, changes, slices.Clone(ts))
	return ts, nil
}

// MaxPageRows is the most rows the tokens and nodes pages list for one
// team; beyond it they say how many there are in all.
const MaxPageRows = 200

// TokensPage is Tokens reading at most MaxPageRows (newest first), and
// how many the team has in all.
func (s *Service) TokensPage(ctx context.Context, actor sb.Actor, teamID string) ([]db.APIToken, int, error) {
	if _, err := s.Team(ctx, actor, teamID); err != nil {
		return nil, 0, err
	}
	ts, total, err := s.store.ListAPITokensLimit(ctx, teamID, MaxPageRows)
	if err != nil {
		return nil, 0, sb.Internal(err)
	}
	return ts, total, nil
}

// TokenStatus is a token's state for lists: revoked, expired, inactive
// (its creator stops it: see TokenReason) or active.
func (s *Service) TokenStatus(t db.APIToken) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !s.Now().Before(*t.ExpiresAt):
		return "expired"
	case t.CreatorDisabled || t.CreatorOffTeam:
		return "inactive"
	default:
		return "active"
	}
}

// TokenReason says why an inactive token does not work ("" otherwise).
func (s *Service) TokenReason(t db.APIToken) string {
	if s.TokenStatus(t) != "inactive" {
		return ""
	}
	if t.CreatorDisabled {
		return "Creator disabled"
	}
	return "Creator no longer on team"
}

// Token is one API token of a team the actor may use (never its value),
// for the page that asks before revoking it; any other is not found.
func (s *Service) Token(ctx context.Context, actor sb.Actor, id string) (*db.APIToken, error) {
	notFound := sb.Errorf(sb.CodeNotFound, "token not found")
	if actor.UserID == "" || actor.TokenID != "" || !isUUID(id) {
		return nil, notFound
	}
	t, err := s.store.APITokenByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, notFound
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if !actor.CanUseTeam(t.TeamID) {
		return nil, notFound
	}
	return t, nil
}

// RevokeToken revokes an API token of a team the actor may use and reports
// whether it did (false: it was already revoked, and nothing was written).
// A token of another team, or none, is not found.
func (s *Service) RevokeToken(ctx context.Context, actor sb.Actor, id string) (*db.APIToken, bool, error) {
	notFound := sb.Errorf(sb.CodeNotFound, "token not found")
	if actor.UserID == "" || actor.TokenID != "" || !isUUID(id) {
		return nil, false, notFound
	}
	t, err := s.store.APITokenByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, false, notFound
	} else if err != nil {
		return nil, false, sb.Internal(err)
	}
	if !actor.CanUseTeam(t.TeamID) {
		return nil, false, notFound
	}
	audit := Audit(actor, Event{Action: ActionTokenRevoke, TargetType: "api_token", TargetID: t.ID, TeamID: t.TeamID, Details: map[string]any{"name": t.Name, "prefix": t.DisplayPrefix}})
	revoked, err := s.store.RevokeAPIToken(ctx, t.ID, audit)
	if errors.Is(err, db.ErrNotFound) {
		return nil, false, notFound
	} else if err != nil {
		return nil, false, sb.Internal(err)
	}
	return t, revoked, nil
}

// RollToken gives a live API token of a team the actor may use a successor
// with a new value (the same team, name and access, and the same lifetime
// from now) and lets the old one keep working for grace; zero ends it in
// the roll's transaction. Rolling the successor again during the grace is
// allowed (older ones then end no later); a token already rolled is a
// conflict. The new value is returned once.
func (s *Service) RollToken(ctx context.Context, actor sb.Actor, id string, grace time.Duration) (string, *db.APIToken, error) {
	old, err := s.Token(ctx, actor, id)
	if err != nil {
		return "", nil, err
	}
	now := s.Now()
	switch {
	case old.RevokedAt != nil:
		return "", nil, sb.Errorf(sb.CodeConflict, "this token is revoked: create a new one instead")
	case old.ExpiresAt != nil && !now.Before(*old.ExpiresAt):
		return "", nil, sb.Errorf(sb.CodeConflict, "this token has expired: create a new one instead")
	case old.RolledTo != nil:
		return "", nil, sb.Errorf(sb.CodeConflict, "this token was rolled already: roll its successor instead")
	}
	plain, err := secrets.NewToken(TokenPrefix)
	if err != nil {
		return "", nil, sb.Internal(err)
	}
	t := &db.APIToken{
		ID: uuid.NewString(), TeamID: old.TeamID, Name: old.Name, ReadOnly: old.ReadOnly,
		TokenHash:     s.keys.MAC("api-token", []byte(plain)),
		DisplayPrefix: plain[:len(TokenPrefix)+6], CreatedBy: &actor.UserID,
	}
	if old.ExpiresAt != nil {
		e := now.Add(old.ExpiresAt.Sub(old.CreatedAt))
		t.ExpiresAt = &e
	}
	endsAt := now.Add(grace)
	if old.ExpiresAt != nil && old.ExpiresAt.Before(endsAt) {
		endsAt = *old.ExpiresAt
	}
	audit := Audit(actor, Event{Action: ActionTokenRoll, TargetType: "api_token", TargetID: t.ID, TeamID: t.TeamID, Details: map[string]any{
		"name": t.Name, "prefix": t.DisplayPrefix, "replaces": old.ID, "old_prefix": old.DisplayPrefix,
		"old_ends_at": endsAt.UTC().Format(time.RFC3339), "grace": grace.String(), "expires_at": t.ExpiresAt}})
	if err := s.store.RollAPIToken(ctx, old.ID, endsAt, t, audit); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return "", nil, sb.Errorf(sb.CodeConflict, "this token was revoked or rolled meanwhile")
		}
		return "", nil, sb.Internal(err)
	}
	return plain, t, nil
}
