package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/handlers/session"
	"switchboard/views"
)

// SetPasswordPage shows the form behind a one-time set-password link
// (anonymous). An unknown link is 404; a used, replaced or expired one 410.
func (h *Handlers) SetPasswordPage(c *fiber.Ctx) error {
	token := c.Params("token")
	link, err := h.Access.CheckPasswordLink(c.UserContext(), token)
	if err != nil {
		return setPasswordError(c, err)
	}
	f := views.SetPasswordForm{CSRF: csrf(c), Token: token, Email: link.Email, Invite: link.Invite()}
	return page(c, fiber.StatusOK, "Set your password", "", views.SetPassword(f), nil)
}

// SetPassword spends the link: the user gets the password, every session of
// the user ends, and this browser goes to sign-in (signed out first, should
// another account be signed in here).
func (h *Handlers) SetPassword(c *fiber.Ctx) error {
	token := c.Params("token")
	var f passwordForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	u, err := h.Access.SetPasswordWithLink(c.UserContext(), token, f.Password, f.Confirm, Meta(c))
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			link, lerr := h.Access.CheckPasswordLink(c.UserContext(), token)
			if lerr != nil {
				return setPasswordError(c, lerr)
			}
			v := views.SetPasswordForm{CSRF: csrf(c), Token: token, Email: link.Email, Invite: link.Invite(), Errors: errs}
			return page(c, fiber.StatusUnprocessableEntity, "Set your password", "", views.SetPassword(v), nil)
		}
		return setPasswordError(c, err)
	}
	s := session.From(c)
	s.SignOut()
	s.AddFlash("success", "Your password is set. Sign in as "+u.Email+".")
	return redirect(c, "/sign-in")
}

func setPasswordError(c *fiber.Ctx, err error) error {
	e := sb.AsError(err)
	var m views.Message
	switch e.Code {
	case sb.CodeGone:
		m = views.Message{Status: fiber.StatusGone, Title: "This link no longer works", Text: "It was already used, replaced by a newer link, or it expired (links work for 72 hours). Ask your administrator for a new one.", LinkText: "Sign in", LinkHref: "/sign-in"}
	case sb.CodeNotFound:
		m = views.Message{Status: fiber.StatusNotFound, Title: "Unknown link", Text: "This set-password link is not valid. Check that you copied all of it, or ask your administrator for a new one.", LinkText: "Sign in", LinkHref: "/sign-in"}
	default:
		return uiError(c, err)
	}
	return page(c, m.Status, m.Title, "", views.MessagePage(m), nil)
}
