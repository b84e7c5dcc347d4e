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
			text := "These secrets were already shown once and Switchboard keeps no copy it can show again. If you did not store them, revoke the integration on its page and create a new one."
			if errors.Is(err, integrations.ErrRevealExpired) {
				text = "This page expired before it was opened: secrets wait ten minutes for their one showing. Revoke the integration on its page and create a new one."
			}
			m := views.Message{Status: fiber.StatusGone, Title: "Already shown", Text: text, LinkText: "Back to integrations", LinkHref: "/integrations"}
			return page(c, fiber.StatusGone, m.Title, "integrations", views.MessagePage(m), nil)
		}
		return uiError(c, err)
	}
	v := views.RevealView{Title: p.Title, Next: safeNext(p.Next)}
	for _, f := range p.Fields {
		v.Fields = append(v.Fields, views.RevealField{Label: f.Label, Name: f.Name, Value: f.Value, Masked: f.Masked})
	}
	return page(c, fiber.StatusOK, p.Title, "integrations", views.Reveal(v), nil)
}
