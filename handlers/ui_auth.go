package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/views"
	"switchboard/web/session"
)

// Home sends a visitor to the integrations list (or, signed out, to sign-in).
func (h *Handlers) Home(c *fiber.Ctx) error {
	return c.Redirect("/integrations", fiber.StatusSeeOther)
}

// SignInPage shows the sign-in form.
func (h *Handlers) SignInPage(c *fiber.Ctx) error {
	if Actor(c).UserID != "" {
		return c.Redirect("/integrations", fiber.StatusSeeOther)
	}
	f := views.SignInForm{Next: c.Query("next")}
	h.signInOptions(&f)
	if need, err := h.Access.NeedsSetup(c.UserContext()); err == nil && need {
		f.Setup = true
	}
	return page(c, fiber.StatusOK, "Sign in", "", views.SignIn(views.Page{CSRF: csrf(c)}, f), nil)
}

type signInForm struct {
	Email    string `form:"email"`
	Password string `form:"password"`
	Next     string `form:"next"`
}

// SignIn checks the password and starts a new session.
func (h *Handlers) SignIn(c *fiber.Ctx) error {
	if h.Access.PasswordSignInOff {
		return NotFoundPage(c)
	}
	var f signInForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	u, err := h.Access.SignIn(c.UserContext(), f.Email, f.Password, Meta(c))
	if err != nil {
		e := sb.AsError(err)
		if e.Code == sb.CodeInternal {
			return uiError(c, err)
		}
		status := Status(e.Code)
		form := views.SignInForm{Email: f.Email, Next: f.Next, Error: capitalise(e.Message) + "."}
		h.signInOptions(&form)
		return page(c, status, "Sign in", "", views.SignIn(views.Page{CSRF: csrf(c)}, form), nil)
	}
	if done, err := h.startSecondFactor(c, u.ID, u.Role, f.Next); done {
		return err
	}
	session.From(c).SignIn(u.ID, u.SessionGeneration, h.Access.Now())
	return redirect(c, safeNext(f.Next))
}

// SignOut ends the session.
func (h *Handlers) SignOut(c *fiber.Ctx) error {
	if err := h.Access.SignOut(c.UserContext(), Actor(c)); err != nil {
		// The audit row failed; signing out must still work.
		Logger(c).Error("record sign-out", "err", sb.AsError(err).Err)
	}
	s := session.From(c)
	s.SignOut()
	s.AddFlash("info", "You are signed out.")
	return redirect(c, "/sign-in")
}

// SetupPage shows the first-run form behind the one-time setup link.
func (h *Handlers) SetupPage(c *fiber.Ctx) error {
	token := c.Params("token")
	if err := h.Access.CheckSetupToken(c.UserContext(), token); err != nil {
		return setupError(c, err)
	}
	return page(c, fiber.StatusOK, "Set up", "", views.Setup(views.Page{CSRF: csrf(c)}, views.SetupForm{Token: token}), nil)
}

type setupForm struct {
	Email    string `form:"email"`
	Password string `form:"password"`
}

// Setup creates the first administrator and signs them in.
func (h *Handlers) Setup(c *fiber.Ctx) error {
	token := c.Params("token")
	var f setupForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	u, err := h.Access.Setup(c.UserContext(), token, f.Email, f.Password, Meta(c))
	if err != nil {
		if fe, ok := fieldErrors(err); ok {
			return page(c, fiber.StatusUnprocessableEntity, "Set up", "", views.Setup(views.Page{CSRF: csrf(c)}, views.SetupForm{Token: token, Email: f.Email, Errors: fe}), nil)
		}
		return setupError(c, err)
	}
	s := session.From(c)
	s.SignIn(u.ID, u.SessionGeneration, h.Access.Now())
	s.AddFlash("success", "Welcome! Your administrator account is ready. Start by creating a team.")
	return redirect(c, "/teams")
}

func setupError(c *fiber.Ctx, err error) error {
	e := sb.AsError(err)
	if e.Code == sb.CodeGone {
		m := views.Message{Status: fiber.StatusGone, Title: "Setup is done", Text: "An administrator already exists, so this link no longer works. Sign in instead.", LinkText: "Sign in", LinkHref: "/sign-in"}
		return page(c, fiber.StatusGone, m.Title, "", views.MessagePage(m), nil)
	}
	return uiError(c, err)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
