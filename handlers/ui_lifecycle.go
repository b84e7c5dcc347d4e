package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

// The lifecycle buttons of a detail page: each asks first, on a page of its
// own (GET /integrations/{id}/confirm/{action}) or, with htmx, in a dialog
// over the detail page; the answer posts to /integrations/{id}/{action}.

// actionLabels are the lifecycle buttons' labels; which actions a record
// allows is its provider's rule (Record.Actions).
var actionLabels = map[string]views.LifecycleAction{
	integrations.ActionDisable: {Action: integrations.ActionDisable, Label: "Disable"},
	integrations.ActionEnable:  {Action: integrations.ActionEnable, Label: "Enable"},
	integrations.ActionRotate:  {Action: integrations.ActionRotate, Label: "Rotate key"},
	integrations.ActionRevoke:  {Action: integrations.ActionRevoke, Label: "Revoke", Danger: true},
	integrations.ActionDelete:  {Action: integrations.ActionDelete, Label: "Delete", Danger: true},
}

// lifecycleActions are the buttons of the actions a record allows, in order.
func lifecycleActions(r *integrations.Record) []views.LifecycleAction {
	var out []views.LifecycleAction
	for _, a := range r.Actions() {
		out = append(out, actionLabels[a])
	}
	return out
}

// confirmView says what an action will do, or false when the row does not allow it.
func confirmView(c *fiber.Ctx, r *integrations.Record, action string) (views.ConfirmView, bool) {
	allowed := false
	var a views.LifecycleAction
	for _, x := range lifecycleActions(r) {
		if x.Action == action {
			allowed, a = true, x
		}
	}
	if !allowed {
		return views.ConfirmView{}, false
	}
	v := views.ConfirmView{ID: r.ID, Name: r.Name, Action: action, Button: a.Label, Danger: a.Danger, CSRF: csrf(c)}
	switch action {
	case integrations.ActionDisable:
		v.Title, v.Text = "Disable "+r.Name+"?", "It stops working until it is enabled again. Nothing is deleted and its secrets stay stored."
	case integrations.ActionEnable:
		v.Title, v.Text = "Enable "+r.Name+"?", "It works again at once, with the secrets it had."
	case integrations.ActionRotate:
		v.Title, v.Text = "Rotate the key of "+r.Name+"?", "A new API key and secret are made and shown once. The current key and secret keep working until the time you choose: update whatever uses them by then."
		v.Graces, v.Grace = graceOptions(), "now"
	case integrations.ActionRevoke:
		v.Title, v.Text = "Revoke "+r.Name+"?", "Anything using it stops working at once, for good. The record stays, marked revoked."
	case integrations.ActionDelete:
		v.Title, v.Text = "Delete "+r.Name+"?", "It and its stored secrets are removed for good. The audit log keeps a record of it."
	}
	return v, true
}

// IntegrationConfirm asks before a lifecycle action: the dialog alone for
// htmx, else a page.
func (h *Handlers) IntegrationConfirm(c *fiber.Ctx) error {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	v, ok := confirmView(c, r, c.Params("action"))
	if !ok {
		return uiError(c, sb.Errorf(sb.CodeNotFound, "not found"))
	}
	return page(c, fiber.StatusOK, v.Title, "integrations", views.ConfirmPage(v), views.ConfirmDialog(v))
}

// IntegrationDisable disables an integration.
func (h *Handlers) IntegrationDisable(c *fiber.Ctx) error { return h.setEnabled(c, false) }

// IntegrationEnable enables a disabled integration.
func (h *Handlers) IntegrationEnable(c *fiber.Ctx) error { return h.setEnabled(c, true) }

func (h *Handlers) setEnabled(c *fiber.Ctx, enabled bool) error {
	id := c.Params("id")
	if _, err := h.Integrations.SetEnabled(c.UserContext(), Actor(c), id, "", enabled); err != nil {
		return uiError(c, err)
	}
	msg := "Disabled. It stops working until you enable it again."
	if enabled {
		msg = "Enabled. It works again."
	}
	flash(c, "success", msg)
	return redirect(c, "/integrations/"+id)
}

// IntegrationRotate gives a node key a new key and secret (shown once);
// supplied credentials are rotated on the edit page.
func (h *Handlers) IntegrationRotate(c *fiber.Ctx) error {
	grace, err := integrations.ParseGrace(c.FormValue("expires_old_in"))
	if err != nil {
		return uiError(c, err)
	}
	created, err := h.Integrations.RollNodeKey(c.UserContext(), Actor(c), c.Params("id"), grace)
	if err != nil {
		return uiError(c, err)
	}
	return redirect(c, "/reveal/"+created.RevealID)
}

// IntegrationDelete deletes an integration and its secrets, once the
// integration's name was typed to confirm (checked here too, not only by
// the browser's pattern: a form posted without it deletes nothing).
func (h *Handlers) IntegrationDelete(c *fiber.Ctx) error {
	ctx, actor := c.UserContext(), Actor(c)
	cur, err := h.Integrations.Get(ctx, actor, c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	if strings.TrimSpace(c.FormValue("confirm_name")) != cur.Name {
		v, ok := confirmView(c, cur, integrations.ActionDelete)
		if !ok {
			return uiError(c, sb.Errorf(sb.CodeConflict, "this integration cannot be deleted"))
		}
		msg := "is required: type the name exactly as shown"
		if c.FormValue("confirm_name") != "" {
			msg = "does not match: type the name exactly as shown"
		}
		v.Errors = views.Errors{"confirm_name": "The name " + msg}
		return page(c, fiber.StatusUnprocessableEntity, v.Title, "integrations", views.ConfirmPage(v), nil)
	}
	r, err := h.Integrations.Delete(ctx, actor, cur.ID)
	if err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Deleted "+r.Name+". The audit log keeps a record of it.")
	return redirect(c, "/integrations")
}
