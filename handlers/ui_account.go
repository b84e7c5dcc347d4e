package handlers

import (
	"slices"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/views"
	"switchboard/web/session"
)

// AccountPage shows the signed-in user's account: password change and
// sign out everywhere.
func (h *Handlers) AccountPage(c *fiber.Ctx) error {
	return h.renderAccount(c, fiber.StatusOK, nil)
}

func (h *Handlers) renderAccount(c *fiber.Ctx, status int, errs views.Errors) error {
	actor := Actor(c)
	v := views.AccountView{CSRF: csrf(c), Email: actor.Email, Role: string(actor.Role), Errors: errs}
	if !actor.IsAdmin() {
		teams, err := h.Access.Teams(c.UserContext(), actor)
		if err != nil {
			return uiError(c, err)
		}
		for _, t := range teams {
			v.Teams = append(v.Teams, t.Name)
		}
		slices.Sort(v.Teams)
	}
	sessions, err := h.accountSessions(c)
	if err != nil {
		return uiError(c, err)
	}
	v.Sessions = sessions
	if v.TwoFactor, err = h.twoFactorSection(c); err != nil {
		return uiError(c, err)
	}
	return page(c, status, "Your account", "account", views.Account(v), nil)
}

type passwordForm struct {
	Current  string `form:"current"`
	Password string `form:"password"`
	Confirm  string `form:"confirm"`
}

// AccountPassword changes the user's own password: every other session
// ends, this one is re-issued with the new session generation.
func (h *Handlers) AccountPassword(c *fiber.Ctx) error {
	var f passwordForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	u, err := h.Access.ChangePassword(c.UserContext(), Actor(c), f.Current, f.Password, f.Confirm)
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.renderAccount(c, fiber.StatusUnprocessableEntity, errs)
		}
		return uiError(c, err)
	}
	s := session.From(c)
	s.Reissue(u.SessionGeneration)
	s.AddFlash("success", "Password changed. Your other sessions are signed out.")
	return redirect(c, "/account")
}

// SignOutEverywhere ends every session of the user, this one too.
func (h *Handlers) SignOutEverywhere(c *fiber.Ctx) error {
	if err := h.Access.SignOutEverywhere(c.UserContext(), Actor(c)); err != nil {
		return uiError(c, err)
	}
	s := session.From(c)
	s.SignOut()
	s.AddFlash("info", "You are signed out everywhere, in every browser.")
	return redirect(c, "/sign-in")
}
