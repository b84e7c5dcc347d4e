package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/views"
	"switchboard/web/session"
)

// signInOptions fills the sign-in page's single sign-on button and whether
// the password form shows.
func (h *Handlers) signInOptions(f *views.SignInForm) {
	if h.Access.OIDC != nil {
		f.SSOName = h.Access.OIDC.ProviderName()
	}
	f.PasswordOff = h.Access.PasswordSignInOff
}

// OIDCStart sends the browser to the identity provider, keeping the flow's
// state, nonce and PKCE verifier in the session.
func (h *Handlers) OIDCStart(c *fiber.Ctx) error {
	if h.Access.OIDC == nil {
		return NotFoundPage(c)
	}
	to, flow, err := h.Access.OIDC.Start(c.UserContext())
	if err != nil {
		return uiError(c, err)
	}
	session.From(c).SetOIDC(flow.State, flow.Nonce, flow.Verifier, c.Query("next"), h.Access.Now())
	return c.Redirect(to, fiber.StatusSeeOther)
}

// OIDCCallback finishes single sign-on: the state must be the one this
// browser was sent with (used once), then the domain checks the code and
// the ID token and finds the user.
func (h *Handlers) OIDCCallback(c *fiber.Ctx) error {
	if h.Access.OIDC == nil {
		return NotFoundPage(c)
	}
	s := session.From(c)
	state, nonce, verifier, next, ok := s.TakeOIDC(h.Access.Now())
	var flow *access.OIDCFlow
	if ok {
		flow = &access.OIDCFlow{State: state, Nonce: nonce, Verifier: verifier}
	}
	cb := access.OIDCCallback{State: c.Query("state"), Code: c.Query("code"), Error: c.Query("error")}
	u, err := h.Access.OIDC.Finish(c.UserContext(), flow, cb, Meta(c))
	if err != nil {
		e := sb.AsError(err)
		if e.Code == sb.CodeInternal {
			return uiError(c, err)
		}
		f := views.SignInForm{Next: next, Error: capitalise(e.Message) + "."}
		h.signInOptions(&f)
		return page(c, Status(e.Code), "Sign in", "", views.SignIn(views.Page{CSRF: csrf(c)}, f), nil)
	}
	s.SignIn(u.ID, u.SessionGeneration, h.Access.Now())
	return redirect(c, safeNext(next))
}
