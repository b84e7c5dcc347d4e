package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/syncs"
	"switchboard/views"
)

// envInvalid shows the Secrets page with an environment form's errors
// (prefix "add." or "rename.").
func (h *Handlers) envInvalid(c *fiber.Ctx, err error, prefix, env string) error {
	e := sb.AsError(err)
	if e.Code != sb.CodeInvalid && e.Code != sb.CodeBadRequest {
		return uiError(c, err)
	}
	v, verr := h.secretsView(c, c.FormValue("team"), env, "/")
	if verr != nil {
		return uiError(c, verr)
	}
	v.Errors = views.Errors{}
	for f, m := range e.Fields {
		v.Errors[prefix+f] = m
	}
	if len(v.Errors) == 0 {
		v.Errors[prefix+"slug"] = e.Message
	}
	return page(c, fiber.StatusUnprocessableEntity, "Secrets", "secrets", views.Secrets(v), nil)
}

// EnvCreateUI is POST /secrets/environments {team, name, slug}.
func (h *Handlers) EnvCreateUI(c *fiber.Ctx) error {
	e, err := h.Syncs.CreateEnvironment(c.UserContext(), Actor(c), c.FormValue("team"), c.FormValue("slug"), c.FormValue("name"))
	if err != nil {
		return h.envInvalid(c, err, "add.", "")
	}
	flash(c, "success", "Added the environment "+e.Name+".")
	return redirect(c, secretsURL(e.TeamID, e.Slug, "/"))
}

// EnvRenameUI is POST /secrets/environments/{id} {team, name, slug}.
func (h *Handlers) EnvRenameUI(c *fiber.Ctx) error {
	e, err := h.Syncs.UpdateEnvironment(c.UserContext(), Actor(c), c.FormValue("team"), c.Params("id"), c.FormValue("slug"), c.FormValue("name"))
	if err != nil {
		if sb.ErrorCode(err) == sb.CodeNotFound {
			return uiError(c, err)
		}
		// Show the page of the environment being renamed.
		old := ""
		if envs, lerr := h.Syncs.Environments(c.UserContext(), Actor(c), c.FormValue("team")); lerr == nil {
			for _, x := range envs {
				if x.ID == c.Params("id") {
					old = x.Slug
				}
			}
		}
		return h.envInvalid(c, err, "rename.", old)
	}
	flash(c, "success", "Renamed the environment to "+e.Name+" ("+e.Slug+").")
	return redirect(c, secretsURL(e.TeamID, e.Slug, "/"))
}

func (h *Handlers) envOf(c *fiber.Ctx, team, id string) (*syncs.Environment, error) {
	envs, err := h.Syncs.Environments(c.UserContext(), Actor(c), team)
	if err != nil {
		return nil, err
	}
	for i := range envs {
		if envs[i].ID == id {
			return &envs[i], nil
		}
	}
	return nil, sb.Errorf(sb.CodeNotFound, "Environment with ID '%s' not found", id)
}

// EnvConfirmDelete is GET /secrets/environments/{id}/confirm/delete?team=.
func (h *Handlers) EnvConfirmDelete(c *fiber.Ctx) error {
	e, err := h.envOf(c, c.Query("team"), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	v := views.ConfirmView{ID: e.ID, Name: e.Slug, Action: "delete", Button: "Delete", Danger: true, CSRF: csrf(c),
		Title: "Delete the environment " + e.Name + "?", Text: "Its secrets and the integrations that sync from it are removed for good. Target secrets stay where they are.",
		ActionURL: "/secrets/environments/" + e.ID + "/delete?team=" + url.QueryEscape(e.TeamID), CancelURL: secretsURL(e.TeamID, e.Slug, "/")}
	return page(c, fiber.StatusOK, v.Title, "secrets", views.ConfirmPage(v), views.ConfirmDialog(v))
}

// EnvDeleteUI is POST /secrets/environments/{id}/delete?team=.
func (h *Handlers) EnvDeleteUI(c *fiber.Ctx) error {
	e, err := h.Syncs.DeleteEnvironment(c.UserContext(), Actor(c), formOrQuery(c, "team"), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Deleted the environment "+e.Name+".")
	return redirect(c, "/secrets?team="+url.QueryEscape(e.TeamID))
}
