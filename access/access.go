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
	"regexp"
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

// Throttling of failed sign-ins, counted from the audit log so the limit
// holds across instances and restarts.
const (
	FailWindow      = 15 * time.Minute
	MaxFailsPerUser = 5
	MaxFailsPerIP   = 20
)

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
}

// New returns a Service.
func New(store *db.DB, keys *secrets.Keyring, log *slog.Logger) *Service {
	return &Service{store: store, keys: keys, log: log, Now: time.Now}
}

// Meta is where a request came from, for audit rows.
type Meta struct {
	IP        string
	UserAgent string
}

// Audit builds an audit row for an action by actor.
func Audit(actor sb.Actor, action, targetType, targetID string, teamID string, details any) *db.AuditEvent {
	e := &db.AuditEvent{
		ActorType: actor.Kind(), ActorID: actor.ID(), ActorLabel: actor.Email,
		Action: action, TargetType: targetType, TargetID: targetID,
		IP: actor.IP, UserAgent: actor.UserAgent,
	}
	if teamID != "" {
		e.TeamID = &teamID
	}
	if details != nil {
		e.SetDetails(details)
	}
	return e
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
	hash, err := secrets.HashPassword(in.Password)
	if err != nil {
		return nil, sb.Internal(err)
	}
	u := &db.User{ID: uuid.NewString(), Email: email, PasswordHash: hash, Role: string(in.Role)}
	if first {
		actor.UserID, actor.Email = u.ID, u.Email
	}
	audit := Audit(actor, "user.create", "user", u.ID, "", map[string]any{"email": email, "role": in.Role, "teams": in.TeamSlugs, "setup": first})
	if err := s.store.CreateUser(ctx, u, teamIDs, first, audit); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, &sb.Error{Code: sb.CodeConflict, Message: "a user with this email already exists", Fields: map[string]string{"email": "is already in use"}}
		}
		return nil, sb.Internal(err)
	}
	return u, nil
}

// SignIn checks a password and returns the user. Failures are audited and
// throttled per address and per IP; the answer never tells whether the email
// exists.
func (s *Service) SignIn(ctx context.Context, email, password string, m Meta) (*db.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	since := s.Now().Add(-FailWindow)
	byUser, err := s.store.CountAudit(ctx, "user.sign_in_failed", email, since)
	if err != nil {
		return nil, sb.Internal(err)
	}
	byIP, err := s.store.CountAuditByIP(ctx, "user.sign_in_failed", m.IP, since)
	if err != nil {
		return nil, sb.Internal(err)
	}
	if byUser >= MaxFailsPerUser || byIP >= MaxFailsPerIP {
		return nil, sb.Errorf(sb.CodeRateLimited, "too many failed sign-ins: wait 15 minutes and try again")
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, sb.Internal(err)
	}
	ok := false
	if u != nil {
		ok, err = checkPassword(u.PasswordHash, password)
		if err != nil {
			return nil, sb.Internal(err)
		}
	} else {
		// Spend the same time as a real check so timing does not tell
		// whether the address exists.
		secrets.CheckPassword(dummyHash, password)
	}
	if !ok || u.DisabledAt != nil {
		fail := &db.AuditEvent{ActorType: "anonymous", ActorLabel: email, Action: "user.sign_in_failed", TargetType: "user", TargetID: email, IP: m.IP, UserAgent: m.UserAgent}
		if err := s.store.RecordAudit(ctx, fail); err != nil {
			return nil, sb.Internal(err)
		}
		return nil, sb.Errorf(sb.CodeUnauthorized, "wrong email or password")
	}
	if err := s.store.RecordAudit(ctx, &db.AuditEvent{ActorType: "user", ActorID: u.ID, ActorLabel: u.Email, Action: "user.sign_in", TargetType: "user", TargetID: u.ID, IP: m.IP, UserAgent: m.UserAgent}); err != nil {
		return nil, sb.Internal(err)
	}
	return u, nil
}

var dummyHash = func() string {
	h, _ := secrets.HashPassword("switchboard-timing-equaliser")
	return h
}()

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

// ---- teams, members and nodes ----

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// CreateTeam creates a team (admins only).
func (s *Service) CreateTeam(ctx context.Context, actor sb.Actor, slug, name string) (*db.Team, error) {
	if !actor.IsAdmin() {
		return nil, sb.Errorf(sb.CodeNotFound, "not found")
	}
	v := sb.Validation{}
	slug = strings.TrimSpace(slug)
	name = strings.TrimSpace(name)
	if !slugRE.MatchString(slug) {
		v.Add("slug", "use 1–40 lowercase letters, digits and hyphens, starting and ending with a letter or digit")
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		v.Add("name", "must be 1–100 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	t := &db.Team{ID: uuid.NewString(), Slug: slug, Name: name}
	if err := s.store.CreateTeam(ctx, t, Audit(actor, "team.create", "team", t.ID, t.ID, map[string]any{"slug": slug, "name": name})); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, &sb.Error{Code: sb.CodeConflict, Message: "a team with this slug already exists", Fields: map[string]string{"slug": "is already taken"}}
		}
		return nil, sb.Internal(err)
	}
	return t, nil
}

// Teams returns the teams the actor may use.
func (s *Service) Teams(ctx context.Context, actor sb.Actor) ([]db.Team, error) {
	var ids []string
	if !actor.IsAdmin() {
		ids = append([]string{}, actor.Teams...)
	}
	ts, err := s.store.ListTeams(ctx, ids)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return ts, nil
}

// Team returns a team the actor may use; another team is not found.
func (s *Service) Team(ctx context.Context, actor sb.Actor, id string) (*db.Team, error) {
	if u, err := uuid.Parse(id); err == nil {
		id = u.String()
	}
	if !isUUID(id) || !actor.CanUseTeam(id) {
		return nil, sb.Errorf(sb.CodeNotFound, "team not found")
	}
	t, err := s.store.TeamByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeNotFound, "team not found")
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return t, nil
}

// TeamBySlug returns a team by slug (for the CLI).
func (s *Service) TeamBySlug(ctx context.Context, slug string) (*db.Team, error) {
	t, err := s.store.TeamBySlug(ctx, slug)
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeNotFound, "no team with slug %q", slug)
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return t, nil
}

// Members lists a team's users (admins only).
func (s *Service) Members(ctx context.Context, actor sb.Actor, teamID string) ([]db.Member, error) {
	if !actor.IsAdmin() {
		return nil, sb.Errorf(sb.CodeNotFound, "team not found")
	}
	ms, err := s.store.ListMembers(ctx, teamID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return ms, nil
}

// AddMember adds the user with email to a team (admins only).
func (s *Service) AddMember(ctx context.Context, actor sb.Actor, teamID, email string) error {
	if !actor.IsAdmin() {
		return sb.Errorf(sb.CodeNotFound, "team not found")
	}
	if _, err := s.Team(ctx, actor, teamID); err != nil {
		return err
	}
	v := sb.Validation{}
	email = NormalizeEmail(v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		return &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"email": "no user with this email: create the user first"}}
	} else if err != nil {
		return sb.Internal(err)
	}
	err = s.store.AddMember(ctx, teamID, u.ID, Audit(actor, "team.member_add", "user", u.ID, teamID, map[string]any{"email": email}))
	if errors.Is(err, db.ErrConflict) {
		return &sb.Error{Code: sb.CodeConflict, Message: "already a member", Fields: map[string]string{"email": "is already a member of this team"}}
	} else if err != nil {
		return sb.Internal(err)
	}
	return nil
}

// CreateNode creates a node in a team the actor may use.
func (s *Service) CreateNode(ctx context.Context, actor sb.Actor, teamID, name string) (*db.Node, error) {
	if _, err := s.Team(ctx, actor, teamID); err != nil {
		return nil, err
	}
	if actor.ReadOnly {
		return nil, sb.Errorf(sb.CodeForbidden, "this token is read-only")
	}
	name = strings.TrimSpace(name)
	v := sb.Validation{}
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		v.Add("name", "must be 1–100 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	n := &db.Node{ID: uuid.NewString(), TeamID: teamID, Name: name}
	if err := s.store.CreateNode(ctx, n, Audit(actor, "node.create", "node", n.ID, teamID, map[string]any{"name": name})); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, &sb.Error{Code: sb.CodeConflict, Message: "a node with this name exists", Fields: map[string]string{"name": "this team already has a node with this name"}}
		}
		return nil, sb.Internal(err)
	}
	return n, nil
}

// Nodes lists the nodes of a team the actor may use.
func (s *Service) Nodes(ctx context.Context, actor sb.Actor, teamID string) ([]db.Node, error) {
	if _, err := s.Team(ctx, actor, teamID); err != nil {
		return nil, err
	}
	ns, err := s.store.ListNodes(ctx, teamID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return ns, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
