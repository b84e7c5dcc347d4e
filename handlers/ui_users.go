package handlers

import (
	"slices"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/integrations"
	"switchboard/views"
)

// teamChoices returns every team as a choice, and a name lookup by id.
func (h *Handlers) teamChoices(c *fiber.Ctx) ([]views.Option, map[string]string, error) {
	opts, err := h.teamOptions(c)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, o := range opts {
		names[o.Value] = o.Label
	}
	return opts, names, nil
}

// UsersList shows every user and the invite form (admins).
func (h *Handlers) UsersList(c *fiber.Ctx) error {
	return h.renderUsers(c, fiber.StatusOK, views.UsersView{Role: string(sb.RoleSupport)})
}

func (h *Handlers) renderUsers(c *fiber.Ctx, status int, v views.UsersView) error {
	users, err := h.Access.Users(c.UserContext(), Actor(c))
	if err != nil {
		return uiError(c, err)
	}
	opts, names, err := h.teamChoices(c)
	if err != nil {
		return uiError(c, err)
	}
	v.CSRF, v.Teams = csrf(c), opts
	if v.Policy, err = h.twoFactorPolicy(c); err != nil {
		return uiError(c, err)
	}
	for _, u := range users {
		item := views.UserItem{ID: u.ID, Email: u.Email, Role: u.Role, Disabled: u.DisabledAt != nil, PasswordSet: u.PasswordSet, CreatedAt: u.CreatedAt}
		for _, id := range u.TeamIDs {
			item.Teams = append(item.Teams, names[id])
		}
		slices.Sort(item.Teams)
		v.Users = append(v.Users, item)
	}
	return page(c, status, "Users", "users", views.Users(v), nil)
}

type userForm struct {
	Email string   `form:"email"`
	Role  string   `form:"role"`
	Teams []string `form:"teams"`
}

// UserInvite creates a user without a password and shows its one-time
// set-password link on the reveal screen.
func (h *Handlers) UserInvite(c *fiber.Ctx) error {
	var f userForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	actor := Actor(c)
	token, u, err := h.Access.InviteUser(c.UserContext(), actor, access.InviteInput{Email: f.Email, Role: sb.Role(f.Role), TeamIDs: f.Teams})
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.renderUsers(c, fiber.StatusUnprocessableEntity, views.UsersView{Email: f.Email, Role: f.Role, TeamIDs: f.Teams, Errors: errs})
		}
		return uiError(c, err)
	}
	return h.revealPasswordLink(c, actor, "Invitation for "+u.Email, u.ID, token)
}

// revealPasswordLink puts a set-password link on the reveal screen, once.
func (h *Handlers) revealPasswordLink(c *fiber.Ctx, actor sb.Actor, title, userID, token string) error {
	base := h.BaseURL
	if base == "" {
		base = c.BaseURL()
	}
	id, err := h.Integrations.CreateReveal(c.UserContext(), actor, integrations.RevealPayload{
		Title: title, Next: "/users/" + userID, Kind: integrations.RevealSetPasswordLink,
		Fields: []integrations.RevealField{{Label: "Set-password link (send it to the user; it works once, for 72 hours)", Name: "link", Value: base + "/set-password/" + token}},
	}, access.Event{Action: access.ActionRevealCreate, TargetType: "user", TargetID: userID, Details: map[string]any{"what": "set-password link"}})
	if err != nil {
		return uiError(c, err)
	}
	return redirect(c, "/reveal/"+id)
}

// UserShow shows a user's role, teams and status (admins).
func (h *Handlers) UserShow(c *fiber.Ctx) error {
	return h.renderUser(c, fiber.StatusOK, nil, nil)
}

// renderUser renders the user page; form, when not nil, keeps what was sent.
func (h *Handlers) renderUser(c *fiber.Ctx, status int, form *userForm, errs views.Errors) error {
	actor := Actor(c)
	u, err := h.Access.User(c.UserContext(), actor, c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	opts, _, err := h.teamChoices(c)
	if err != nil {
		return uiError(c, err)
	}
	v := views.UserView{
		CSRF: csrf(c), ID: u.ID, Email: u.Email, Role: u.Role, TeamIDs: u.TeamIDs, Teams: opts,
		Disabled: u.DisabledAt != nil, PasswordSet: u.PasswordSet, CreatedAt: u.CreatedAt,
		Self: u.ID == actor.UserID, Errors: errs,
	}
	if form != nil {
		v.Role, v.TeamIDs = form.Role, form.Teams
	}
	if v.Sessions, err = h.sessionsView(c, u.ID, "/users/"+u.ID+"/sessions/", "/users/"+u.ID+"/sessions/end"); err != nil {
		return uiError(c, err)
	}
	return page(c, status, u.Email, "users", views.User(v), nil)
}

// userActionError re-renders the user page with a refused change's field
// errors (422), or answers the error page.
func (h *Handlers) userActionError(c *fiber.Ctx, form *userForm, err error) error {
	if errs, ok := fieldErrors(err); ok {
		return h.renderUser(c, fiber.StatusUnprocessableEntity, form, errs)
	}
	return uiError(c, err)
}

// UserUpdate changes a user's role and teams (admins).
func (h *Handlers) UserUpdate(c *fiber.Ctx) error {
	var f userForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	u, err := h.Access.UpdateAccess(c.UserContext(), Actor(c), c.Params("id"), access.AccessInput{Role: sb.Role(f.Role), TeamIDs: f.Teams})
	if err != nil {
		return h.userActionError(c, &f, err)
	}
	flash(c, "success", "Saved: "+u.Email+" is "+u.Role+" from their next request.")
	return redirect(c, "/users/"+u.ID)
}

// UserDisable disables a user, ending their sessions and stopping their
// tokens (admins).
// UserConfirmDisable asks before disabling a user (it signs them out and
// stops their tokens): a page without JavaScript, a dialog with htmx.
func (h *Handlers) UserConfirmDisable(c *fiber.Ctx) error {
	u, err := h.Access.User(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	v := views.ConfirmView{
		ID: u.ID, Name: u.Email, Action: "disable", Button: "Disable", Danger: true, CSRF: csrf(c),
		Title:     "Disable " + u.Email + "?",
		Text:      "They are signed out at once everywhere, the API tokens they created answer 401 and their set-password link stops working. Enabling them again restores the tokens.",
		ActionURL: "/users/" + u.ID + "/disable",
		CancelURL: "/users/" + u.ID,
	}
	return page(c, fiber.StatusOK, v.Title, "users", views.ConfirmPage(v), views.ConfirmDialog(v))
}

func (h *Handlers) UserDisable(c *fiber.Ctx) error {
	u, err := h.Access.DisableUser(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return h.userActionError(c, nil, err)
	}
	flash(c, "success", u.Email+" is disabled and signed out everywhere.")
	return redirect(c, "/users/"+u.ID)
}

// UserEnable enables a disabled user (admins).
func (h *Handlers) UserEnable(c *fiber.Ctx) error {
	u, err := h.Access.EnableUser(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return h.userActionError(c, nil, err)
	}
	flash(c, "success", u.Email+" is enabled and may sign in again.")
	return redirect(c, "/users/"+u.ID)
}

// UserPasswordLink makes a new set-password link and shows it once (admins).
func (h *Handlers) UserPasswordLink(c *fiber.Ctx) error {
	actor := Actor(c)
	token, u, err := h.Access.NewPasswordLink(c.UserContext(), actor, c.Params("id"))
	if err != nil {
		return h.userActionError(c, nil, err)
	}
	return h.revealPasswordLink(c, actor, "Set-password link for "+u.Email, u.ID, token)
}
