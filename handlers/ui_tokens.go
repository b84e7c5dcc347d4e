package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/integrations"
	"switchboard/views"
)

// TokensPage lists the API tokens of one team the viewer may use (?team=,
// else the first) beside the new-token form; another team is not found. A
// team choice through htmx gets only the panel.
func (h *Handlers) TokensPage(c *fiber.Ctx) error {
	return h.renderTokens(c, fiber.StatusOK, c.Query("team"), views.TokensView{Expiry: access.DefaultTokenExpiry, Access: access.TokenReadOnly})
}

func (h *Handlers) renderTokens(c *fiber.Ctx, status int, teamID string, v views.TokensView) error {
	ctx, actor := c.UserContext(), Actor(c)
	opts, err := h.teamOptions(c)
	if err != nil {
		return uiError(c, err)
	}
	v.CSRF, v.Teams, v.Admin = csrf(c), opts, actor.IsAdmin()
	for _, e := range access.TokenExpiries {
		v.Expiries = append(v.Expiries, views.Option{Value: e.Value, Label: e.Label})
	}
	t, err := pickTeam(opts, teamID)
	if err != nil {
		return uiError(c, err)
	}
	if t != nil {
		tokens, total, err := h.Access.TokensPage(ctx, actor, t.Value)
		if err != nil {
			return uiError(c, err)
		}
		v.Total = total
		v.TeamID, v.TeamName = t.Value, t.Label
		if v.FormTeamID == "" {
			v.FormTeamID = t.Value
		}
		for _, tk := range tokens {
			row := views.TokenRow{ID: tk.ID, Name: tk.Name, Prefix: tk.DisplayPrefix, Creator: "command line", ReadOnly: tk.ReadOnly,
				CreatedAt: tk.CreatedAt, ExpiresAt: tk.ExpiresAt, LastUsed: tk.LastUsedAt, Status: h.Access.TokenStatus(tk), Reason: h.Access.TokenReason(tk)}
			row.Rolled = tk.RolledTo != nil
			row.Ending = views.Ending(row.Status, row.Rolled, tk.ExpiresAt, h.Access.Now())
			if tk.CreatorEmail != nil {
				row.Creator = *tk.CreatorEmail
			}
			v.Tokens = append(v.Tokens, row)
		}
	}
	return page(c, status, "API tokens", "tokens", views.Tokens(v), views.TokensPanel(v))
}

type tokenForm struct {
	TeamID  string `form:"team_id"`
	Name    string `form:"name"`
	Expires string `form:"expires"`
	Access  string `form:"access"`
}

// TokenCreate creates an API token and shows it once on the reveal screen;
// invalid input (a team the viewer may not use included) re-renders the
// form with 422.
func (h *Handlers) TokenCreate(c *fiber.Ctx) error {
	var f tokenForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	ctx, actor := c.UserContext(), Actor(c)
	plain, tok, err := h.Access.CreateToken(ctx, actor, access.TokenInput{TeamID: f.TeamID, Name: f.Name, Form: true, Expiry: f.Expires, Access: f.Access})
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			list := f.TeamID
			if errs.Has("team_id") {
				list = ""
			}
			return h.renderTokens(c, fiber.StatusUnprocessableEntity, list, views.TokensView{FormTeamID: f.TeamID, Name: f.Name, Expiry: f.Expires, Access: f.Access, Errors: errs})
		}
		return uiError(c, err)
	}
	next := "/tokens?team=" + tok.TeamID
	id, err := h.Integrations.CreateReveal(ctx, actor, integrations.RevealPayload{
		Title: "API token " + tok.Name, Next: next, Kind: integrations.RevealAPIToken,
		Fields: []integrations.RevealField{{Label: "Token", Name: "token", Value: plain}},
	}, access.Event{Action: access.ActionRevealCreate, TargetType: "api_token", TargetID: tok.ID, TeamID: tok.TeamID, Details: nil})
	if err != nil {
		return uiError(c, err)
	}
	return redirect(c, "/reveal/"+id)
}

// TokenRevoke revokes an API token and returns to its team's list; a token
// of another team is not found. Revoking twice changes nothing.
// TokenConfirmRevoke asks before revoking a token: a page of its own
// without JavaScript, the dialog alone for htmx.
func (h *Handlers) TokenConfirmRevoke(c *fiber.Ctx) error {
	tok, err := h.Access.Token(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	v := views.ConfirmView{
		ID: tok.ID, Name: tok.Name, Action: "revoke", Button: "Revoke", Danger: true, CSRF: csrf(c),
		Title:     "Revoke the token " + tok.Name + "?",
		Text:      "Scripts that use it get 401 at once, for good. The record stays, marked revoked.",
		ActionURL: "/tokens/" + tok.ID + "/revoke",
		CancelURL: "/tokens?team=" + tok.TeamID,
	}
	return page(c, fiber.StatusOK, v.Title, "tokens", views.ConfirmPage(v), views.ConfirmDialog(v))
}

func (h *Handlers) TokenRevoke(c *fiber.Ctx) error {
	tok, revoked, err := h.Access.RevokeToken(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	if revoked {
		flash(c, "success", "Token "+tok.Name+" revoked: requests with it now get 401.")
	} else {
		flash(c, "info", "Token "+tok.Name+" was already revoked.")
	}
	return redirect(c, "/tokens?team="+tok.TeamID)
}

// TokenConfirmRoll asks before rolling a token, and for how long the old
// one keeps working: a page without JavaScript, the dialog for htmx.
func (h *Handlers) TokenConfirmRoll(c *fiber.Ctx) error {
	tok, err := h.Access.Token(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	v := views.ConfirmView{
		ID: tok.ID, Name: tok.Name, Action: "roll", Button: "Roll token", CSRF: csrf(c),
		Title:     "Roll the token " + tok.Name + "?",
		Text:      "A new token with the same name, team and access is made and shown once. The current one keeps working until the time you choose.",
		ActionURL: "/tokens/" + tok.ID + "/roll",
		CancelURL: "/tokens?team=" + tok.TeamID,
		Graces:    graceOptions(), Grace: "24h",
	}
	return page(c, fiber.StatusOK, v.Title, "tokens", views.ConfirmPage(v), views.ConfirmDialog(v))
}

// TokenRoll rolls a token and shows the new one once.
func (h *Handlers) TokenRoll(c *fiber.Ctx) error {
	grace, err := integrations.ParseGrace(c.FormValue("expires_old_in"))
	if err != nil {
		return uiError(c, err)
	}
	ctx, actor := c.UserContext(), Actor(c)
	plain, tok, err := h.Access.RollToken(ctx, actor, c.Params("id"), grace)
	if err != nil {
		return uiError(c, err)
	}
	id, err := h.Integrations.CreateReveal(ctx, actor, integrations.RevealPayload{
		Title: "API token " + tok.Name, Next: "/tokens?team=" + tok.TeamID,
		Fields: []integrations.RevealField{{Label: "Token", Name: "token", Value: plain}},
	}, access.Event{Action: access.ActionRevealCreate, TargetType: "api_token", TargetID: tok.ID, TeamID: tok.TeamID, Details: nil})
	if err != nil {
		return uiError(c, err)
	}
	return redirect(c, "/reveal/"+id)
}
