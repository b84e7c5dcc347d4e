package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/views"
	"switchboard/web/session"
)

// startSecondFactor is the sign-in's hook after a right password: when the
// user is enrolled in two-factor sign-in (or the admin policy requires it
// of them) the session waits for the second factor instead of starting,
// and the answer goes to that step. done is false when the password was
// enough.
func (h *Handlers) startSecondFactor(c *fiber.Ctx, userID, role, next string) (done bool, err error) {
	step, err := h.Access.SecondFactorFor(c.UserContext(), userID, role)
	if err != nil {
		return true, uiError(c, err)
	}
	if step == access.SecondFactorNone {
		return false, nil
	}
	session.From(c).SetPending(userID, step == access.SecondFactorEnrol, h.Access.Now())
	to := "/sign-in/two-factor"
	if step == access.SecondFactorEnrol {
		to += "/enrol"
	}
	if next != "" {
		to += "?next=" + url.QueryEscape(next)
	}
	return true, redirect(c, to)
}

// pending returns the sign-in waiting for its second factor, or answers
// with a redirect to the sign-in page when there is none (ok false).
func (h *Handlers) pending(c *fiber.Ctx) (userID string, enrol, ok bool) {
	return session.From(c).Pending(h.Access.Now())
}

func (h *Handlers) twoFactorPage(c *fiber.Ctx, status int, msg string) error {
	f := views.TwoFactorForm{CSRF: csrf(c), Next: c.Query("next", c.FormValue("next")), Error: msg}
	return page(c, status, "Two-factor sign-in", "", views.TwoFactor(f), nil)
}

// TwoFactorPage asks for the second factor of a pending sign-in.
func (h *Handlers) TwoFactorPage(c *fiber.Ctx) error {
	_, enrol, ok := h.pending(c)
	if !ok {
		return c.Redirect("/sign-in", fiber.StatusSeeOther)
	}
	if enrol {
		return c.Redirect("/sign-in/two-factor/enrol", fiber.StatusSeeOther)
	}
	return h.twoFactorPage(c, fiber.StatusOK, "")
}

// TwoFactorSubmit checks the code and starts the session.
func (h *Handlers) TwoFactorSubmit(c *fiber.Ctx) error {
	uid, enrol, ok := h.pending(c)
	if !ok || enrol {
		flash(c, "info", "Your sign-in timed out. Sign in again.")
		return redirect(c, "/sign-in")
	}
	u, err := h.Access.VerifySecondFactor(c.UserContext(), uid, c.FormValue("code"), Meta(c))
	if err != nil {
		e := sb.AsError(err)
		if e.Code == sb.CodeInternal {
			return uiError(c, err)
		}
		return h.twoFactorPage(c, Status(e.Code), capitalise(e.Message)+".")
	}
	session.From(c).SignIn(u.ID, u.SessionGeneration, h.Access.Now())
	return redirect(c, safeNext(c.FormValue("next")))
}

func (h *Handlers) enrolPage(c *fiber.Ctx, status int, userID, action string, forced bool, errs views.Errors) error {
	e, err := h.Access.PendingTOTP(c.UserContext(), userID)
	if err != nil {
		return uiError(c, err)
	}
	v := views.TwoFactorEnrolView{CSRF: csrf(c), Action: action, Next: c.Query("next", c.FormValue("next")), Forced: forced,
		Secret: e.Secret, URL: e.URL, QRCode: e.QRCode, Errors: errs}
	return page(c, status, "Set up two-factor sign-in", "account", views.TwoFactorEnrol(v), nil)
}

// TwoFactorEnrolPage is the enrolment the admin policy requires before a
// pending sign-in may finish.
func (h *Handlers) TwoFactorEnrolPage(c *fiber.Ctx) error {
	uid, enrol, ok := h.pending(c)
	if !ok || !enrol {
		return c.Redirect("/sign-in", fiber.StatusSeeOther)
	}
	return h.enrolPage(c, fiber.StatusOK, uid, "/sign-in/two-factor/enrol", true, nil)
}

// TwoFactorEnrolSubmit confirms the forced enrolment, starts the session
// and shows the recovery codes once.
func (h *Handlers) TwoFactorEnrolSubmit(c *fiber.Ctx) error {
	uid, enrol, ok := h.pending(c)
	if !ok || !enrol {
		flash(c, "info", "Your sign-in timed out. Sign in again.")
		return redirect(c, "/sign-in")
	}
	u, codes, err := h.Access.ConfirmTOTP(c.UserContext(), uid, c.FormValue("code"), Meta(c))
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.enrolPage(c, fiber.StatusUnprocessableEntity, uid, "/sign-in/two-factor/enrol", true, errs)
		}
		return uiError(c, err)
	}
	session.From(c).SignIn(u.ID, u.SessionGeneration, h.Access.Now())
	return page(c, fiber.StatusOK, "Recovery codes", "", views.RecoveryCodes(views.RecoveryCodesView{Codes: codes, Continue: safeNext(c.FormValue("next"))}), nil)
}

// AccountTwoFactorPage starts (or shows the pending) enrolment of the
// signed-in user.
func (h *Handlers) AccountTwoFactorPage(c *fiber.Ctx) error {
	return h.enrolPage(c, fiber.StatusOK, Actor(c).UserID, "/account/two-factor", false, nil)
}

// AccountTwoFactorSubmit confirms the signed-in user's enrolment and shows
// the recovery codes once.
func (h *Handlers) AccountTwoFactorSubmit(c *fiber.Ctx) error {
	uid := Actor(c).UserID
	_, codes, err := h.Access.ConfirmTOTP(c.UserContext(), uid, c.FormValue("code"), Meta(c))
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.enrolPage(c, fiber.StatusUnprocessableEntity, uid, "/account/two-factor", false, errs)
		}
		return uiError(c, err)
	}
	return page(c, fiber.StatusOK, "Recovery codes", "account", views.RecoveryCodes(views.RecoveryCodesView{Codes: codes, Continue: "/account"}), nil)
}

// twoFactorSection is the account page's two-factor part.
func (h *Handlers) twoFactorSection(c *fiber.Ctx) (views.TwoFactorSection, error) {
	uid := Actor(c).UserID
	on, err := h.Access.TwoFactorEnrolled(c.UserContext(), uid)
	if err != nil {
		return views.TwoFactorSection{}, err
	}
	v := views.TwoFactorSection{CSRF: csrf(c), Enrolled: on}
	if on {
		if v.CodesLeft, err = h.Access.RecoveryCodesLeft(c.UserContext(), uid); err != nil {
			return views.TwoFactorSection{}, err
		}
	}
	return v, nil
}

// twoFactorPolicy is the users page's policy form.
func (h *Handlers) twoFactorPolicy(c *fiber.Ctx) (views.TwoFactorPolicyView, error) {
	on, err := h.Access.RequireAdminTwoFactor(c.UserContext())
	return views.TwoFactorPolicyView{CSRF: csrf(c), Required: on}, err
}

// TwoFactorPolicyUpdate turns the admin two-factor policy on or off.
func (h *Handlers) TwoFactorPolicyUpdate(c *fiber.Ctx) error {
	on := c.FormValue("required") == "true"
	if err := h.Access.SetRequireAdminTwoFactor(c.UserContext(), Actor(c), on); err != nil {
		return uiError(c, err)
	}
	msg := "Two-factor sign-in is no longer required of administrators."
	if on {
		msg = "Every administrator now signs in with a second factor; those without one set it up at their next sign-in."
	}
	flash(c, "success", msg)
	return redirect(c, "/users")
}
