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
	v := formValues(c)
	h.restoreDraft(c, v)
	if err := h.forms.Decode(&f, v); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	created, err := h.Integrations.Create(c.UserContext(), Actor(c), &integrations.OnePasswordInput{TeamID: f.TeamID, Name: f.Name, Token: f.Token}, nil)
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		// The token is never sent back to the browser, not even on an
		// error; a valid one is kept sealed for the retry.
		draft, kept := h.keepDraft(c, v, []string{"token"}, errs)
		return h.renderOnePassword(c, fiber.StatusUnprocessableEntity, views.OnePasswordForm{TeamID: f.TeamID, Name: f.Name, Errors: errs, Alert: "Nothing was saved: fix the fields marked below.", Draft: draft, TokenKept: kept["token"]})
	}
	return redirect(c, "/reveal/"+created.RevealID)
}

// onePasswordPages are a service account's detail lines and its edit
// page, where the token is replaced or kept.
type onePasswordPages struct{}

func (onePasswordPages) details(_ *Handlers, _ *fiber.Ctx, r *integrations.Record, d *views.IntegrationDetail) error {
	op, _, err := integrations.OnePasswordOf(r)
	if err != nil {
		return err
	}
	d.Details = append(d.Details,
		views.Detail{Label: "Sign-in address", Value: op.SignInAddress},
		views.Detail{Label: "Token", Value: "stored encrypted; fingerprint " + op.Fingerprint, Mono: true},
		views.Detail{Label: "Version", Value: itoa(op.Version)},
	)
	if r.Status != integrations.StatusRevoked {
		d.EditHref = "/integrations/" + r.ID + "/edit"
	}
	d.SecretNote = "The token was shown once, when it was saved, and is stored encrypted. To change it, edit the integration and paste a new one."
	return nil
}

func (onePasswordPages) edit(h *Handlers, c *fiber.Ctx, r *integrations.Record) error {
	op, _, err := integrations.OnePasswordOf(r)
	if err != nil {
		return uiError(c, err)
	}
	return h.renderOnePassword(c, fiber.StatusOK, views.OnePasswordForm{Edit: true, ID: r.ID, TeamName: r.TeamName, Name: op.Name, Fingerprint: op.Fingerprint})
}

func (onePasswordPages) update(h *Handlers, c *fiber.Ctx, r *integrations.Record) error {
	op, _, err := integrations.OnePasswordOf(r)
	if err != nil {
		return uiError(c, err)
	}
	var f onePasswordForm
	v := formValues(c)
	h.restoreDraft(c, v)
	if err := h.forms.Decode(&f, v); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	updated, err := h.Integrations.UpdateOnePassword(c.UserContext(), Actor(c), r.ID, integrations.OnePasswordInput{Name: f.Name, Token: f.Token})
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		draft, kept := h.keepDraft(c, v, []string{"token"}, errs)
		return h.renderOnePassword(c, fiber.StatusUnprocessableEntity, views.OnePasswordForm{Edit: true, ID: r.ID, TeamName: r.TeamName, Name: f.Name, Fingerprint: op.Fingerprint, Errors: errs, Alert: "Nothing was saved: fix the fields marked below.", Draft: draft, TokenKept: kept["token"]})
	}
	msg := "Saved. The stored token was kept."
	if updated.Version != r.Version {
		msg = "Saved. The new token replaced the old one (version " + itoa(updated.Version) + ")."
	}
	flash(c, "success", msg)
	return redirect(c, "/integrations/"+r.ID)
}
