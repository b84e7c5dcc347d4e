// Package access is who may do what: the first-run setup, users and their
// passwords, sign-in with throttling, teams, members, nodes and API tokens,
// and turning a session or a token into a switchboard.Actor. It knows nothing
// of HTTP; the store persists, this package decides.
package access

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// TokenPrefix starts every Switchboard API token, so a leaked one is recognisable.
const TokenPrefix = "sbt_"

// Service implements the access rules over the store.
type Service struct {
	store *db.DB
	keys  *secrets.Keyring
	log   *slog.Logger
	// Now is the clock, replaceable in tests.
	Now func() time.Time
	// SessionIdle and SessionAbsolute are the browser session limits, so
	// the sessions list leaves out the ones that timed out (0: no limit).
	SessionIdle, SessionAbsolute time.Duration
	// OIDC is single sign-on, nil when it is not configured.
	OIDC *OIDC
	// PasswordSignInOff turns password sign-in off (single sign-on only).
	PasswordSignInOff bool
	// HashWait is how long a sign-in waits for a password-hashing slot
	// (SignInHashWait unless a test changes it).
	HashWait  time.Duration
	hashSlots chan struct{}
	// Reads kept for RecentFor (recent.go).
	sessions *recent[db.SessionUser]
	teams    *recent[[]db.Team]
	expiring *recent[[]db.APIToken]
	tokens   *recent[db.APIToken]
}

// New returns a Service.
func New(store *db.DB, keys *secrets.Keyring, log *slog.Logger) *Service {
	s := &Service{store: store, keys: keys, log: log, Now: time.Now, HashWait: SignInHashWait, hashSlots: newHashSlots()}
	now := func() time.Time { return s.Now() }
	s.sessions = newRecent[db.SessionUser](store.Changes, now)
	s.teams = newRecent[[]db.Team](store.Changes, now)
	s.expiring = newRecent[[]db.APIToken](store.Changes, now)
	s.tokens = newRecent[db.APIToken](store.Changes, now)
	return s
}

// Meta is where a request came from, for audit rows.
type Meta struct {
	IP        string
	UserAgent string
}

// ---- setup and users ----

// SetupToken is the secret of the first-run link. It is derived from the
// master key, so every instance prints the same link and it needs no row; it
// opens the setup page only while the database has no user at all.
func (s *Service) SetupToken() string {
	return s.keys.MAC("setup", []byte("first-admin"))[len(s.keys.ActiveID())+1:][:32]
}

// NeedsSetup reports whether no user exists yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return false, sb.Internal(err)
	}
	return n == 0, nil
}

// CheckSetupToken returns not found unless token is the setup token and no
// user exists yet.
func (s *Service) CheckSetupToken(ctx context.Context, token string) error {
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.SetupToken())) != 1 {
		return sb.Errorf(sb.CodeNotFound, "this setup link is not valid")
	}
	need, err := s.NeedsSetup(ctx)
	if err != nil {
		return err
	}
	if !need {
		return sb.Errorf(sb.CodeGone, "setup is already done: an administrator exists, so sign in instead")
	}
	return nil
}

// UserInput is what creating a user takes.
type UserInput struct {
	Email    string
	Password string
	Role     sb.Role
	// TeamSlugs the user joins (support staff see only these teams).
	TeamSlugs []string
}

// ValidatePassword applies the password policy: 12 to 1024 characters (argon2id has no truncation).
func ValidatePassword(v sb.Validation, field, pw string) {
	switch n := utf8.RuneCountInString(pw); {
	case n < 12:
		v.Add(field, "must be at least 12 characters")
	case len(pw) > 1024:
		v.Add(field, "must be at most 1024 bytes")
	}
}

// NormalizeEmail checks an address and returns it lowercased.
func NormalizeEmail(v sb.Validation, field, email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		v.Add(field, "is required")
		return email
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		v.Add(field, "must be an email address like name@example.com")
	}
	return email
}

// Setup creates the first admin through the setup link.
func (s *Service) Setup(ctx context.Context, token, email, password string, m Meta) (*db.User, error) {
	if err := s.CheckSetupToken(ctx, token); err != nil {
		return nil, err
	}
	u, err := s.createUser(ctx, sb.Actor{IP: m.IP, UserAgent: m.UserAgent}, UserInput{Email: email, Password: password, Role: sb.RoleAdmin}, true)
	if sb.ErrorCode(err) == sb.CodeConflict {
		return nil, sb.Errorf(sb.CodeGone, "setup is already done: an administrator exists, so sign in instead")
	}
	return u, err
}

// CreateUser creates a user; only admins may (the CLI acts as an admin).
func (s *Service) CreateUser(ctx context.Context, actor sb.Actor, in UserInput) (*db.User, error) {
	if !actor.IsAdmin() {
		return nil, sb.Errorf(sb.CodeNotFound, "not found")
	}
	return s.createUser(ctx, actor, in, false)
}

func (s *Service) createUser(ctx context.Context, actor sb.Actor, in UserInput, first bool) (*db.User, error) {
	v := sb.Validation{}
	email := NormalizeEmail(v, "email", in.Email)
	ValidatePassword(v, "password", in.Password)
	if !in.Role.Valid() {
		v.Add("role", "must be admin or support")
	}
	var teamIDs []string
	for _, slug := range in.TeamSlugs {
		t, err := s.store.TeamBySlug(ctx, slug)
		if errors.Is(err, db.ErrNotFound) {
			v.Add("team", "no team with slug "+slug)
			continue
		} else if err != nil {
			return nil, sb.Internal(err)
		}
		teamIDs = append(teamIDs, t.ID)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	u := &db.User{ID: uuid.NewString(), Email: email, PasswordHash: hash, Role: string(in.Role)}
	if first {
		actor.UserID, actor.Email = u.ID, u.Email
	}
	audit := Audit(actor, Event{Action: ActionUserCreate, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"email": email, "role": in.Role, "teams": in.TeamSlugs, "setup": first}})
	if err := s.store.CreateUser(ctx, u, teamIDs, first, audit); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, &sb.Error{Code: sb.CodeConflict, Message: "a user with this email already exists", Fields: map[string]string{"email": "is already in use"}}
		}
		return nil, sb.Internal(err)
	}
	return u, nil
}

// ActorForSession loads the signed-in user of a session cookie. A user that
// was disabled, or whose session generation moved on (password change, sign
// out everywhere), has no valid session: unauthorized.
func (s *Service) ActorForSession(ctx context.Context, userID string, generation int, m Meta) (sb.Actor, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, db.ErrNotFound) {
		return sb.Actor{}, sb.Errorf(sb.CodeUnauthorized, "signed out")
	} else if err != nil {
		return sb.Actor{}, sb.Internal(err)
	}
	if u.DisabledAt != nil || u.SessionGeneration != generation {
		return sb.Actor{}, sb.Errorf(sb.CodeUnauthorized, "signed out")
	}
	teams, err := s.store.UserTeamIDs(ctx, u.ID)
	if err != nil {
		return sb.Actor{}, sb.Internal(err)
	}
	return sb.Actor{UserID: u.ID, Email: u.Email, Role: sb.Role(u.Role), Teams: teams, IP: m.IP, UserAgent: m.UserAgent}, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
