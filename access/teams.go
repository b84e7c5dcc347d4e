package access

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
)

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
	if err := s.store.CreateTeam(ctx, t, Audit(actor, Event{Action: ActionTeamCreate, TargetType: "team", TargetID: t.ID, TeamID: t.ID, Details: map[string]any{"slug": slug, "name": name}})); err != nil {
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
	key := "*"
	if !actor.IsAdmin() {
		ids = append([]string{}, actor.Teams...)
		key = strings.Join(ids, ",")
	}
	if ts, ok := s.teams.get(key); ok {
		return slices.Clone(ts), nil
	}
	changes := s.teams.mark()
	ts, err := s.store.ListTeams(ctx, ids)
	if err != nil {
		return nil, sb.Internal(err)
	}
	s.teams.put(key, changes, slices.Clone(ts))
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
	err = s.store.AddMember(ctx, teamID, u.ID, Audit(actor, Event{Action: ActionTeamMemberAdd, TargetType: "user", TargetID: u.ID, TeamID: teamID, Details: map[string]any{"email": email}}))
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
	if err := s.store.CreateNode(ctx, n, Audit(actor, Event{Action: ActionNodeCreate, TargetType: "node", TargetID: n.ID, TeamID: teamID, Details: map[string]any{"name": name}})); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, &sb.Error{Code: sb.CodeConflict, Message: "a node with this name exists", Fields: map[string]string{"name": "this team already has a node with this name"}}
		}
		return nil, sb.Internal(err)
	}
	return n, nil
}

// NodesPage is Nodes reading at most MaxPageRows (by name), and how many
// the team has in all.
func (s *Service) NodesPage(ctx context.Context, actor sb.Actor, teamID string) ([]db.Node, int, error) {
	if _, err := s.Team(ctx, actor, teamID); err != nil {
		return nil, 0, err
	}
	ns, total, err := s.store.ListNodesLimit(ctx, teamID, MaxPageRows)
	if err != nil {
		return nil, 0, sb.Internal(err)
	}
	return ns, total, nil
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
