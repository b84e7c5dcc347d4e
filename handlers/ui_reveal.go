package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

// RevealShow shows a reveal's secrets to their owner, once. The page is
// never cached; a second visit explains that the secret is gone.
func (h *Handlers) RevealShow(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Method() != fiber.MethodGet {
		// Fiber routes HEAD to GET handlers; a HEAD (a link preview, a
		// monitoring probe) must not use up the one showing.
		c.Set(fiber.HeaderAllow, fiber.MethodGet)
		return c.SendStatus(fiber.StatusMethodNotAllowed)
	}
	p, err := h.Integrations.Reveal(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		e := sb.AsError(err)
		if e.Code == sb.CodeGone {
			kind := h.Integrations.RevealKind(c.UserContext(), Actor(c), c.Params("id"))
			m := revealGone(kind, errors.Is(err, integrations.ErrRevealExpired))
			return page(c, fiber.StatusGone, m.Title, revealNav(kind), views.MessagePage(m), nil)
		}
		return uiError(c, err)
	}
	v := views.RevealView{Title: p.Title, Next: safeNext(p.Next)}
	for _, f := range p.Fields {
		v.Fields = append(v.Fields, views.RevealField{Label: f.Label, Name: f.Name, Value: f.Value, Masked: f.Masked})
	}
	return page(c, fiber.StatusOK, p.Title, revealNav(p.Kind), views.Reveal(v), nil)
}

// revealNav is the navigation item a reveal belongs under.
func revealNav(kind string) string {
	switch kind {
	case integrations.RevealAPIToken:
		return "tokens"
	case integrations.RevealSetPasswordLink:
		return "users"
	}
	return "integrations"
}

// revealGone explains a reveal already shown (or expired unopened) in the
// words of what it showed, and how to get a new one.
func revealGone(kind string, expired bool) views.Message {
	m := views.Message{Status: fiber.StatusGone, Title: "Already shown"}
	if expired {
		m.Title = "Expired"
	}
	switch kind {
	case integrations.RevealAPIToken:
		m.Text = "This API token was already shown once; Switchboard keeps only its keyed hash and cannot show it again. If you did not store it, revoke it on API tokens and create a new one."
		if expired {
			m.Text = "This page expired before it was opened: a new token waits ten minutes for its one showing. Revoke it on API tokens and create a new one."
		}
		m.LinkText, m.LinkHref = "Back to API tokens", "/tokens"
	case integrations.RevealSetPasswordLink:
		m.Text = "This set-password link was already shown once and cannot be shown again. If it was not sent, make a new link on the user's page (New set-password link): the old one stops working."
		if expired {
			m.Text = "This page expired before it was opened: a set-password link waits ten minutes for its one showing. Make a new link on the user's page (New set-password link)."
		}
		m.LinkText, m.LinkHref = "Back to users", "/users"
	default:
		m.Text = "These secrets were already shown once and Switchboard keeps no copy it can show again. If you did not store them, revoke the integration on its page and create a new one."
		if expired {
			m.Text = "This page expired before it was opened: secrets wait ten minutes for their one showing. Revoke the integration on its page and create a new one."
		}
		m.LinkText, m.LinkHref = "Back to integrations", "/integrations"
	}
	return m
}
