package handlers

// The pages of a stored Infisical app connection: its lines on the detail
// page, its edit page and "Test connection" on the detail page.

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

// infisicalEditModel builds the edit form of a stored connection.
func (h *Handlers) infisicalEditModel(c *fiber.Ctx, conn *integrations.AppConnection, d *infisicalDraft, errs views.Errors) (views.InfisicalForm, error) {
	app, _ := integrations.InfisicalAppBySlug(conn.App)
	m, _ := app.Method(conn.Method)
	f := views.InfisicalForm{CSRF: csrf(c), Edit: true, ID: conn.ID, TeamName: conn.TeamName, App: conn.App, AppName: app.Name + " · " + m.Name,
		Method: conn.Method, Name: conn.Name, Errors: errs}
	if conn.Description != nil {
		f.Description = *conn.Description
	}
	values, err := h.Integrations.AppConnectionEditValues(c.UserContext(), Actor(c), conn.App, conn.ID)
	if err != nil {
		return f, err
	}
	if d != nil {
		f.Name, f.Description = d.Name, d.Description
		values = draftValues(m, *d)
	}
	f.Fields = connFields(m, values, true)
	f.CanTest = h.Integrations.HasConnectionTester(conn.App)
	return f, nil
}

func (h *Handlers) infisicalEdit(c *fiber.Ctx, conn *integrations.AppConnection) error {
	f, err := h.infisicalEditModel(c, conn, nil, nil)
	if err != nil {
		return uiError(c, err)
	}
	return page(c, fiber.StatusOK, "Edit "+conn.Name, "integrations", views.InfisicalPage(f), nil)
}

func (h *Handlers) infisicalUpdate(c *fiber.Ctx, conn *integrations.AppConnection) error {
	ctx, actor := c.UserContext(), Actor(c)
	d := readInfisicalDraft(c)
	h.restoreDraft(c, d.Values)
	app, _ := integrations.InfisicalAppBySlug(conn.App)
	m, _ := app.Method(conn.Method)
	creds := m.FormCredentials(d.Values, "credentials.")
	if d.Test {
		summary, err := h.Integrations.TestAppCredentials(ctx, actor, conn.App, conn.Method, creds, conn.ID)
		return h.renderInfisicalTest(c, d, summary, err, func(errs views.Errors) (views.InfisicalForm, error) {
			return h.infisicalEditModel(c, conn, &d, errs)
		})
	}
	upd := integrations.AppConnectionUpdate{Name: &d.Name, DescriptionSet: true, Credentials: creds}
	if strings.TrimSpace(d.Description) != "" {
		upd.Description = &d.Description
	}
	updated, err := h.Integrations.UpdateAppConnection(ctx, actor, conn.App, conn.ID, upd)
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		f, merr := h.infisicalEditModel(c, conn, &d, errs)
		if merr != nil {
			return uiError(c, merr)
		}
		f.Alert = "Nothing was saved: fix the fields marked below."
		h.keepConnSecrets(c, d.Values, &f)
		return page(c, fiber.StatusUnprocessableEntity, "Edit "+conn.Name, "integrations", views.InfisicalPage(f), nil)
	}
	msg := "Saved. The stored credentials did not change."
	if updated.Version != conn.Version {
		msg = fmt.Sprintf("Saved. The credentials changed (version %d); secret fields left empty kept their stored values.", updated.Version)
	}
	flash(c, "success", msg)
	return redirect(c, "/integrations/"+conn.ID)
}

// IntegrationTest runs "Test connection" on a stored integration from its
// detail page.
func (h *Handlers) IntegrationTest(c *fiber.Ctx) error {
	ctx, actor, id := c.UserContext(), Actor(c), c.Params("id")
	r, err := h.Integrations.Get(ctx, actor, id)
	if err != nil {
		return uiError(c, err)
	}
	conn, ok, err := liveAppConnection(r)
	if err != nil {
		return uiError(c, err)
	}
	if !ok {
		return uiError(c, sb.Errorf(sb.CodeNotFound, "not found"))
	}
	_, summary, err := h.Integrations.TestAppConnection(ctx, actor, conn.App, conn.ID)
	res, terr := testResult(summary, err)
	if terr != nil {
		return uiError(c, terr)
	}
	if isHTMX(c) {
		c.Vary("HX-Request")
		return render(c, fiber.StatusOK, views.TestResultBox(*res))
	}
	kind := "success"
	if !res.OK {
		kind = "error"
	}
	flash(c, kind, res.Message)
	return redirect(c, "/integrations/"+id)
}

// liveAppConnection is the app connection view of a row already loaded by
// Get (no second query); a revoked connection is not editable or testable
// (a disabled one is editable; its test is refused by the domain).
func liveAppConnection(r *integrations.Record) (*integrations.AppConnection, bool, error) {
	if r.Status == integrations.StatusRevoked {
		return nil, false, nil
	}
	return integrations.AppConnectionOf(r)
}

// infisicalPages are an app connection's detail lines (returned fields,
// secrets as "stored encrypted"), its test button and its edit page.
type infisicalPages struct{}

func (infisicalPages) details(h *Handlers, c *fiber.Ctx, r *integrations.Record, d *views.IntegrationDetail) error {
	conn, _, err := integrations.AppConnectionOf(r)
	if err != nil {
		return err
	}
	if r.Status == integrations.StatusActive {
		d.SyncUse = SyncUseFor(c, r.ID, r.TeamID, conn.App, conn.Method)
	}
	d.Provider = "Infisical app connection"
	d.Details = append(d.Details, views.Detail{Label: "App", Value: conn.AppName() + " · " + conn.MethodName()})
	if conn.Description != nil {
		d.Details = append(d.Details, views.Detail{Label: "Description", Value: *conn.Description})
	}
	app, _ := integrations.InfisicalAppBySlug(conn.App)
	m, _ := app.Method(conn.Method)
	for _, f := range m.Fields {
		if v, ok := conn.Credentials[f.Name]; ok && f.Returned && !f.Secret {
			val := fmt.Sprint(v)
			if b, isBool := v.(bool); isBool {
				val = map[bool]string{true: "yes", false: "no"}[b]
			}
			d.Details = append(d.Details, views.Detail{Label: f.Label, Value: val, Mono: f.Type != integrations.CredBool})
		} else if f.Secret {
			d.Details = append(d.Details, views.Detail{Label: f.Label, Value: "stored encrypted"})
		}
	}
	d.Details = append(d.Details,
		views.Detail{Label: "Version", Value: itoa(conn.Version)},
		views.Detail{Label: "Credentials hash", Value: conn.CredentialsHash, Mono: true},
	)
	if r.Status == integrations.StatusActive {
		d.EditHref = "/integrations/" + r.ID + "/edit"
		d.CanTest = h.Integrations.HasConnectionTester(conn.App)
	}
	d.SecretNote = "Secret credentials were shown once, when they were saved, and are stored encrypted. To change them, edit the connection; fields left empty keep their stored values."
	return nil
}

func (infisicalPages) edit(h *Handlers, c *fiber.Ctx, r *integrations.Record) error {
	conn, ok, err := liveAppConnection(r)
	if err != nil || !ok {
		return uiError(c, firstErr(err, errNoPage))
	}
	return h.infisicalEdit(c, conn)
}

func (infisicalPages) update(h *Handlers, c *fiber.Ctx, r *integrations.Record) error {
	conn, ok, err := liveAppConnection(r)
	if err != nil || !ok {
		return uiError(c, firstErr(err, errNoPage))
	}
	return h.infisicalUpdate(c, conn)
}

// firstErr returns err, or fallback when err is nil.
func firstErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
