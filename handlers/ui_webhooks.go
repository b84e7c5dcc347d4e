package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/access"
	"switchboard/integrations"
	"switchboard/views"
	"switchboard/webhooks"
)

// WebhooksPage lists the endpoints the viewer may see beside the form that
// adds one (admins: for every team too; support staff: for their teams).
func (h *Handlers) WebhooksPage(c *fiber.Ctx) error {
	return h.renderWebhooks(c, fiber.StatusOK, views.WebhooksView{Events: "all"})
}

func (h *Handlers) renderWebhooks(c *fiber.Ctx, status int, v views.WebhooksView) error {
	ctx, actor := c.UserContext(), Actor(c)
	opts, err := h.teamOptions(c)
	if err != nil {
		return uiError(c, err)
	}
	names := map[string]string{}
	for _, o := range opts {
		names[o.Value] = o.Label
	}
	eps, err := h.Webhooks.List(ctx, actor)
	if err != nil {
		return uiError(c, err)
	}
	v.CSRF, v.Teams, v.AllTeams = csrf(c), opts, actor.IsAdmin()
	for _, e := range eps {
		team := "every team"
		if e.TeamID != nil {
			team = names[*e.TeamID]
		}
		v.Endpoints = append(v.Endpoints, views.WebhookRow{ID: e.ID, URL: e.URL, Team: team, Events: e.EventsLabel(), Enabled: e.Enabled, Disabled: e.DisabledReason})
	}
	return page(c, status, "Webhooks", "webhooks", views.Webhooks(v), nil)
}

type webhookForm struct {
	TeamID string `form:"team_id"`
	URL    string `form:"url"`
	Events string `form:"events"`
}

// WebhookCreate adds an endpoint and shows its signing secret once.
func (h *Handlers) WebhookCreate(c *fiber.Ctx) error {
	var f webhookForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	ctx, actor := c.UserContext(), Actor(c)
	secret, ep, err := h.Webhooks.Create(ctx, actor, webhooksInput(f))
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.renderWebhooks(c, fiber.StatusUnprocessableEntity, views.WebhooksView{TeamID: f.TeamID, URL: f.URL, Events: f.Events, Errors: errs})
		}
		return uiError(c, err)
	}
	team := ""
	if ep.TeamID != nil {
		team = *ep.TeamID
	}
	id, err := h.Integrations.CreateReveal(ctx, actor, integrations.RevealPayload{
		Title: "Webhook signing secret", Next: "/webhooks/" + ep.ID,
		Fields: []integrations.RevealField{{Label: "Signing secret", Name: "secret", Value: secret}},
	}, access.Event{Action: access.ActionRevealCreate, TargetType: "webhook", TargetID: ep.ID, TeamID: team})
	if err != nil {
		return uiError(c, err)
	}
	return redirect(c, "/reveal/"+id)
}

// WebhookShow shows an endpoint and its delivery log.
func (h *Handlers) WebhookShow(c *fiber.Ctx) error {
	ctx, actor := c.UserContext(), Actor(c)
	ep, err := h.Webhooks.Get(ctx, actor, c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	ds, err := h.Webhooks.Deliveries(ctx, actor, ep.ID)
	if err != nil {
		return uiError(c, err)
	}
	v := views.WebhookView{CSRF: csrf(c), ID: ep.ID, URL: ep.URL, Team: "every team", Events: ep.EventsLabel(), Enabled: ep.Enabled, Disabled: ep.DisabledReason}
	if ep.TeamID != nil {
		if t, err := h.Access.Team(ctx, actor, *ep.TeamID); err == nil {
			v.Team = t.Name
		}
	}
	for _, d := range ds {
		row := views.WebhookDeliveryRow{EventID: d.EventID, Action: d.Action, Status: d.Status, Attempts: d.Attempts, At: d.CreatedAt, Error: d.LastError}
		if d.LastStatusCode != nil {
			row.Code = "HTTP " + strconv.Itoa(*d.LastStatusCode)
		}
		if d.Status == "pending" && d.Attempts > 0 {
			row.Next = views.FormatTime(d.NextAttemptAt)
		}
		v.Deliveries = append(v.Deliveries, row)
	}
	return page(c, fiber.StatusOK, "Webhook", "webhooks", views.WebhookPage(v), nil)
}

// WebhookRedeliver queues one delivery again.
func (h *Handlers) WebhookRedeliver(c *fiber.Ctx) error {
	if err := h.Webhooks.Redeliver(c.UserContext(), Actor(c), c.Params("id"), c.Params("event")); err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Queued again: it is sent within seconds.")
	return redirect(c, "/webhooks/"+c.Params("id"))
}

// WebhookEnable enables a disabled endpoint again.
func (h *Handlers) WebhookEnable(c *fiber.Ctx) error {
	if err := h.Webhooks.Enable(c.UserContext(), Actor(c), c.Params("id")); err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Enabled: new events are delivered again.")
	return redirect(c, "/webhooks/"+c.Params("id"))
}

// WebhookDisable stops deliveries to an endpoint until it is enabled again.
func (h *Handlers) WebhookDisable(c *fiber.Ctx) error {
	if err := h.Webhooks.Disable(c.UserContext(), Actor(c), c.Params("id")); err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Disabled: no events are sent to it until you enable it again.")
	return redirect(c, "/webhooks/"+c.Params("id"))
}

// WebhookConfirmDelete asks before deleting an endpoint: a page without
// JavaScript, the shared dialog for htmx.
func (h *Handlers) WebhookConfirmDelete(c *fiber.Ctx) error {
	ep, err := h.Webhooks.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	v := views.ConfirmView{
		ID: ep.ID, Action: "delete", Button: "Delete webhook", Danger: true, CSRF: csrf(c),
		Title:     "Delete the webhook to " + ep.URL + "?",
		Text:      "No more events are sent to it, and its delivery log is removed for good. The audit log keeps a record of it.",
		ActionURL: "/webhooks/" + ep.ID + "/delete",
		CancelURL: "/webhooks/" + ep.ID,
	}
	return page(c, fiber.StatusOK, v.Title, "webhooks", views.ConfirmPage(v), views.ConfirmDialog(v))
}

// WebhookDelete deletes an endpoint and its delivery log.
func (h *Handlers) WebhookDelete(c *fiber.Ctx) error {
	ep, err := h.Webhooks.Delete(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Deleted the webhook to "+ep.URL+".")
	return redirect(c, "/webhooks")
}

func webhooksInput(f webhookForm) webhooks.Input {
	return webhooks.Input{TeamID: f.TeamID, URL: f.URL, Events: f.Events}
}
