package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

type onePasswordForm struct {
	TeamID string `form:"team_id"`
	Name   string `form:"name"`
	Token  string `form:"token"`
}

// teamOptions lists the teams the viewer may use as choices.
func (h *Handlers) teamOptions(c *fiber.Ctx) ([]views.Option, error) {
	teams, err := h.Access.Teams(c.UserContext(), Actor(c))
	if err != nil {
		return nil, err
	}
	opts := make([]views.Option, len(teams))
	for i, t := range teams {
		opts[i] = views.Option{Value: t.ID, Label: t.Name}
	}
	return opts, nil
}

// pickTeam is the team a per-team page shows: teamID if the viewer may use
// it, else (none given) the first of opts; another team is not found. It
// returns nil when the viewer has no team at all.
func pickTeam(opts []views.Option, teamID string) (*views.Option, error) {
	if len(opts) == 0 {
		return nil, nil
	}
	if teamID == "" {
		return &opts[0], nil
	}
	for i := range opts {
		if opts[i].Value == teamID {
			return &opts[i], nil
		}
	}
	return nil, sb.Errorf(sb.CodeNotFound, "team not found")
}

func (h *Handlers) renderOnePassword(c *fiber.Ctx, status int, f views.OnePasswordForm) error {
	f.CSRF = csrf(c)
	if !f.Edit {
		opts, err := h.teamOptions(c)
		if err != nil {
			return uiError(c, err)
		}
		f.Teams = opts
		if len(opts) == 1 && f.TeamID == "" {
			f.TeamID = opts[0].Value
		}
	}
	title := "New 1Password service account"
	if f.Edit {
		title = "Edit " + f.Name
	}
	return page(c, status, title, "integrations", views.OnePasswordPage(f), nil)
}

// OnePasswordNew shows the 1Password service account form.
func (h *Handlers) OnePasswordNew(c *fiber.Ctx) error {
	return h.renderOnePassword(c, fiber.StatusOK, views.OnePasswordForm{TeamID: c.Query("team_id")})
}

// OnePasswordCreate stores the token and sends the browser to its reveal.
func (h *Handlers) OnePasswordCreate(c *fiber.Ctx) error {
	var f onePasswordForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	_, revealID, err := h.Integrations.CreateOnePassword(c.UserContext(), Actor(c), integrations.OnePasswordInput{TeamID: f.TeamID, Name: f.Name, Token: f.Token}, true)
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		// The token is never sent back to the browser, not even on an error.
		return h.renderOnePassword(c, fiber.StatusUnprocessableEntity, views.OnePasswordForm{TeamID: f.TeamID, Name: f.Name, Errors: errs, Alert: "Nothing was saved: fix the fields marked below."})
	}
	return redirect(c, "/reveal/"+revealID)
}

// IntegrationEdit shows the edit page of an integration whose provider can be edited.
func (h *Handlers) IntegrationEdit(c *fiber.Ctx) error {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	if conn, ok := liveAppConnection(r); ok {
		return h.infisicalEdit(c, conn)
	}
	if cfg, ok := integrations.LDConfigOf(r); ok && r.Status != integrations.StatusRevoked {
		return h.ldEdit(c, cfg)
	}
	op, ok := integrations.OnePasswordOf(&r.Integration)
	if !ok {
		return uiError(c, sb.Errorf(sb.CodeNotFound, "not found"))
	}
	return h.renderOnePassword(c, fiber.StatusOK, views.OnePasswordForm{Edit: true, ID: r.ID, TeamName: r.TeamName, Name: op.Name, Fingerprint: op.Fingerprint})
}

// IntegrationUpdate saves the edit page; an empty secret field keeps the stored secret.
func (h *Handlers) IntegrationUpdate(c *fiber.Ctx) error {
	ctx, actor, id := c.UserContext(), Actor(c), c.Params("id")
	r, err := h.Integrations.Get(ctx, actor, id)
	if err != nil {
		return uiError(c, err)
	}
	if conn, ok := liveAppConnection(r); ok {
		return h.infisicalUpdate(c, conn)
	}
	if cfg, ok := integrations.LDConfigOf(r); ok && r.Status != integrations.StatusRevoked {
		return h.ldUpdate(c, cfg)
	}
	op, ok := integrations.OnePasswordOf(&r.Integration)
	if !ok {
		return uiError(c, sb.Errorf(sb.CodeNotFound, "not found"))
	}
	var f onePasswordForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	updated, err := h.Integrations.UpdateOnePassword(ctx, actor, id, integrations.OnePasswordInput{Name: f.Name, Token: f.Token})
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		return h.renderOnePassword(c, fiber.StatusUnprocessableEntity, views.OnePasswordForm{Edit: true, ID: id, TeamName: r.TeamName, Name: f.Name, Fingerprint: op.Fingerprint, Errors: errs, Alert: "Nothing was saved: fix the fields marked below."})
	}
	msg := "Saved. The stored token was kept."
	if updated.Version != r.Version {
		msg = "Saved. The new token replaced the old one (version " + itoa(updated.Version) + ")."
	}
	flash(c, "success", msg)
	return redirect(c, "/integrations/"+id)
}
