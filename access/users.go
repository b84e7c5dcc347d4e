package access

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
)

var errUserNotFound = sb.Errorf(sb.CodeNotFound, "user not found")

// UserDetail is a user with the ids of its teams, for the users pages.
type UserDetail struct {
	db.User
	TeamIDs []string
	// PasswordSet is false while an invitation is pending.
	PasswordSet bool
}

// InviteInput is what inviting a user takes.
type InviteInput struct {
	Email   string
	Role    sb.Role
	TeamIDs []string
}

// AccessInput is a user's role and teams, as an admin edits them.
type AccessInput struct {
	Role    sb.Role
	TeamIDs []string
}

// Users lists every user with its teams (admins only).
func (s *Service) Users(ctx context.Context, actor sb.Actor) ([]UserDetail, error) {
	if !actor.IsAdmin() {
		return nil, errUserNotFound
	}
	us, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, sb.Internal(err)
	}
	ms, err := s.store.Memberships(ctx)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := make([]UserDetail, 0, len(us))
	for _, u := range us {
		out = append(out, UserDetail{User: u, TeamIDs: ms[u.ID], PasswordSet: u.PasswordHash != db.UnusablePassword})
	}
	return out, nil
}

// User returns one user with its teams (admins only).
func (s *Service) User(ctx context.Context, actor sb.Actor, id string) (*UserDetail, error) {
	if !actor.IsAdmin() {
		return nil, errUserNotFound
	}
	if u, err := uuid.Parse(id); err == nil {
		id = u.String()
	}
	if !isUUID(id) {
		return nil, errUserNotFound
	}
	u, err := s.store.UserByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errUserNotFound
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	teams, err := s.store.UserTeamIDs(ctx, u.ID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return &UserDetail{User: *u, TeamIDs: teams, PasswordSet: u.PasswordHash != db.UnusablePassword}, nil
}

// checkAccess validates a role and a set of team ids, returning the teams'
// slugs (for audit details) in the order given, without duplicates.
func (s *Service) checkAccess(ctx context.Context, v sb.Validation, role sb.Role, teamIDs []string) ([]string, []string, error) {
	if !role.Valid() {
		v.Add("role", "must be admin or support")
	}
	if len(teamIDs) == 0 {
		return nil, []string{}, nil
	}
	all, err := s.store.ListTeams(ctx, nil)
	if err != nil {
		return nil, nil, sb.Internal(err)
	}
	var ids, slugs []string
	for _, id := range teamIDs {
		i := slices.IndexFunc(all, func(t db.Team) bool { return t.ID == id })
		if i < 0 {
			v.Add("teams", "no such team: reload the page and choose again")
			continue
		}
		if !slices.Contains(ids, id) {
			ids, slugs = append(ids, id), append(slugs, all[i].Slug)
		}
	}
	return ids, slugs, nil
}

// InviteUser creates a user with a role and teams and no usable password,
// and returns the one-time set-password token (admins only). The token is
// never stored or audited in plaintext.
func (s *Service) InviteUser(ctx context.Context, actor sb.Actor, in InviteInput) (string, *db.User, error) {
	if !actor.IsAdmin() {
		return "", nil, errUserNotFound
	}
	v := sb.Validation{}
	email := NormalizeEmail(v, "email", in.Email)
	ids, slugs, err := s.checkAccess(ctx, v, in.Role, in.TeamIDs)
	if err != nil {
		return "", nil, err
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	u := &db.User{ID: uuid.NewString(), Email: email, Role: string(in.Role)}
	plain, t, err := s.newPasswordToken(u.ID, db.PasswordTokenInvite)
	if err != nil {
		return "", nil, err
	}
	audit := Audit(actor, Event{Action: ActionUserInvite, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"email": email, "role": in.Role, "teams": slugs, "link_expires_at": t.ExpiresAt.UTC()}})
	if err := s.store.InviteUser(ctx, u, ids, t, audit); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return "", nil, &sb.Error{Code: sb.CodeConflict, Message: "a user with this email already exists", Fields: map[string]string{"email": "is already in use"}}
		}
		return "", nil, sb.Internal(err)
	}
	return plain, u, nil
}

var errLastAdmin = func(field string) error {
	return &sb.Error{Code: sb.CodeInvalid, Message: "the last active admin", Fields: map[string]string{field: "is the last active admin: make another user an admin first"}}
}

// UpdateAccess sets a user's role and replaces its teams (admins only). The
// change takes effect on the user's next request. Demoting the last active
// admin is refused.
func (s *Service) UpdateAccess(ctx context.Context, actor sb.Actor, id string, in AccessInput) (*UserDetail, error) {
	u, err := s.User(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	v := sb.Validation{}
	ids, slugs, err := s.checkAccess(ctx, v, in.Role, in.TeamIDs)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	audit := Audit(actor, Event{Action: ActionUserUpdate, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"email": u.Email, "role": in.Role, "previous_role": u.Role, "teams": slugs}})
	switch err := s.store.UpdateUserAccess(ctx, u.ID, string(in.Role), ids, audit); {
	case errors.Is(err, db.ErrLastAdmin):
		return nil, errLastAdmin("role")
	case errors.Is(err, db.ErrNotFound):
		return nil, errUserNotFound
	case err != nil:
		return nil, sb.Internal(err)
	}
	u.Role, u.TeamIDs = string(in.Role), ids
	return u, nil
}

// DisableUser disables a user (admins only): every session of the user ends
// on its next request, the API tokens it created answer 401, and its pending
// set-password link stops working. Disabling the last active admin is
// refused; disabling a disabled user changes nothing.
func (s *Service) DisableUser(ctx context.Context, actor sb.Actor, id string) (*UserDetail, error) {
	u, err := s.User(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return u, nil
	}
	audit := Audit(actor, Event{Action: ActionUserDisable, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"email": u.Email}})
	switch err := s.store.DisableUser(ctx, u.ID, audit); {
	case errors.Is(err, db.ErrLastAdmin):
		return nil, errLastAdmin("status")
	case errors.Is(err, db.ErrNotFound):
		return u, nil
	case err != nil:
		return nil, sb.Internal(err)
	}
	return u, nil
}

// EnableUser enables a disabled user (admins only). Its API tokens work
// again; its old sessions do not (the user signs in again).
func (s *Service) EnableUser(ctx context.Context, actor sb.Actor, id string) (*UserDetail, error) {
	u, err := s.User(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt == nil {
		return u, nil
	}
	audit := Audit(actor, Event{Action: ActionUserEnable, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"email": u.Email}})
	if err := s.store.EnableUser(ctx, u.ID, audit); err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, sb.Internal(err)
	}
	return u, nil
}

// NewPasswordLink makes a new set-password link for an enabled user (admins
// only) and returns its token; the user's older links stop working. The
// user's password is unchanged until the link is used.
func (s *Service) NewPasswordLink(ctx context.Context, actor sb.Actor, id string) (string, *UserDetail, error) {
	u, err := s.User(ctx, actor, id)
	if err != nil {
		return "", nil, err
	}
	if u.DisabledAt != nil {
		return "", nil, &sb.Error{Code: sb.CodeInvalid, Message: "the user is disabled", Fields: map[string]string{"status": "is disabled: enable the user first"}}
	}
	purpose := db.PasswordTokenReset
	if !u.PasswordSet {
		purpose = db.PasswordTokenInvite
	}
	plain, t, err := s.newPasswordToken(u.ID, purpose)
	if err != nil {
		return "", nil, err
	}
	audit := Audit(actor, Event{Action: ActionUserPasswordLink, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"email": u.Email, "purpose": purpose, "link_expires_at": t.ExpiresAt.UTC()}})
	if err := s.store.CreatePasswordToken(ctx, t, audit); errors.Is(err, db.ErrNotFound) {
		return "", nil, errUserNotFound
	} else if err != nil {
		return "", nil, sb.Internal(err)
	}
	return plain, u, nil
}
