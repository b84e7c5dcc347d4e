package handlers

import (
	"github.com/gofiber/fiber/v2"
	"switchboard/views"
)

// LocalExpiringTokens carries the home page's expiring API tokens from
// HomeNotices to the layout.
const LocalExpiringTokens = "switchboard.expiringTokens"

// expiringTokensShown is the most tokens the home page's notice lists.
const expiringTokensShown = 10

// HomeNotices runs before the home page (the integrations list): it finds
// the API tokens of the viewer's teams (an admin: every team) that expire
// within views.ExpiringWithin, which the layout flags above the list. The
// node keys are flagged on their own rows; tokens live on another page, a
// team at a time, so without this a token would expire unseen. An htmx
// request for a fragment (the list's Older/Newer) has no layout and skips
// the query.
func (h *Handlers) HomeNotices(c *fiber.Ctx) error {
	if isHTMX(c) && c.Get("HX-History-Restore-Request") != "true" {
		return c.Next()
	}
	ts, err := h.Access.ExpiringTokens(c.UserContext(), Actor(c), views.ExpiringWithin, expiringTokensShown)
	if err != nil {
		return uiError(c, err)
	}
	items := make([]views.ExpiringToken, 0, len(ts))
	for _, t := range ts {
		items = append(items, views.ExpiringToken{Name: t.Name, Team: t.TeamName, TeamID: t.TeamID, ExpiresAt: *t.ExpiresAt})
	}
	c.Locals(LocalExpiringTokens, items)
	return c.Next()
}
