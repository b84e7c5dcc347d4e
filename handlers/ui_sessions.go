package handlers

import (
	"github.com/gofiber/fiber/v2"
	"switchboard/views"
)

// LocalSessionID is the c.Locals key of the signed-in session's row id, set
// by the session middleware (to mark "this session" in the list).
const LocalSessionID = "switchboard.session_id"

// sessionsView lists userID's active sessions; action and endAll are the
// form actions of the list.
func (h *Handlers) sessionsView(c *fiber.Ctx, userID, action, endAll string) (views.SessionsView, error) {
	list, err := h.Access.Sessions(c.UserContext(), Actor(c), userID)
	if err != nil {
		return views.SessionsView{}, err
	}
	current, _ := c.Locals(LocalSessionID).(string)
	v := views.SessionsView{CSRF: csrf(c), Action: action, EndAll: endAll}
	for _, s := range list {
		v.Sessions = append(v.Sessions, views.SessionItem{ID: s.ID, UserAgent: s.UserAgent, IP: s.IP, StartedAt: s.StartedAt, LastSeenAt: s.LastSeenAt, Current: s.ID == current})
	}
	return v, nil
}

// AccountSessionEnd ends one of the signed-in user's sessions (this one
// too: it is signed out on its next request).
func (h *Handlers) AccountSessionEnd(c *fiber.Ctx) error {
	actor := Actor(c)
	if _, err := h.Access.EndSession(c.UserContext(), actor, actor.UserID, c.Params("id")); err != nil {
		return uiError(c, err)
	}
	if current, _ := c.Locals(LocalSessionID).(string); current == c.Params("id") {
		return redirect(c, "/sign-in")
	}
	flash(c, "success", "The session is ended: that browser is signed out.")
	return redirect(c, "/account")
}

// UserSessionEnd ends one session of a user (admins only).
func (h *Handlers) UserSessionEnd(c *fiber.Ctx) error {
	return h.endUserSessions(c, c.Params("session"))
}

// UserSessionsEnd ends every session of a user (admins only).
func (h *Handlers) UserSessionsEnd(c *fiber.Ctx) error {
	return h.endUserSessions(c, "")
}

func (h *Handlers) endUserSessions(c *fiber.Ctx, id string) error {
	u, err := h.Access.User(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	n, err := h.Access.EndSession(c.UserContext(), Actor(c), u.ID, id)
	if err != nil {
		return uiError(c, err)
	}
	msg := "The session is ended."
	if id == "" {
		msg = "Every session of " + u.Email + " is ended (" + itoa(n) + ")."
	}
	flash(c, "success", msg)
	return redirect(c, "/users/"+u.ID)
}

// accountSessions is the sessions list of the account page.
func (h *Handlers) accountSessions(c *fiber.Ctx) (views.SessionsView, error) {
	return h.sessionsView(c, Actor(c).UserID, "/account/sessions/", "")
}
