package handlers

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

// infisicalDraft is what the app connection form carries.
type infisicalDraft struct {
	TeamID      string
	App         string
	Method      string
	Name        string
	Description string
	Test        bool
	Values      url.Values
}

func readInfisicalDraft(c *fiber.Ctx) infisicalDraft {
	v := formValues(c)
	return infisicalDraft{
		TeamID: v.Get("team_id"), App: v.Get("app"), Method: v.Get("method"),
		Name: v.Get("name"), Description: v.Get("description"), Test: v.Get("test") != "", Values: v,
	}
}

// catalogueChoice resolves the app and method of a draft, falling back to
// the first app and its first method.
func catalogueChoice(d *infisicalDraft) (*integrations.InfisicalApp, *integrations.InfisicalMethod) {
	app, ok := integrations.InfisicalAppBySlug(d.App)
	if !ok {
		app = &integrations.InfisicalApps[0]
	}
	m, ok := app.Method(d.Method)
	if !ok {
		m = &app.Methods[0]
	}
	d.App, d.Method = app.Slug, m.Slug
	return app, m
}

// connFields renders the method's fields; values are the non-secret values
// to show (a submitted form or the stored connection), kept marks secret
// fields that have a stored value.
func connFields(m *integrations.InfisicalMethod, values map[string]any, kept bool) []views.ConnField {
	out := make([]views.ConnField, 0, len(m.Fields))
	for _, f := range m.Fields {
		cf := views.ConnField{Name: f.Name, Label: f.Label, Required: f.Required, Secret: f.Secret, Help: f.Help, Options: f.Enum, Stored: kept && f.Secret}
		switch {
		case f.Type == integrations.CredBool:
			cf.Input = "checkbox"
		case f.Type == integrations.CredEnum:
			cf.Input = "select"
		case f.Multiline:
			cf.Input = "textarea"
		case f.Type == integrations.CredURL:
			cf.Input = "url"
		case f.Type == integrations.CredNumber:
			cf.Input = "number"
		case f.Type == integrations.CredEmail:
			cf.Input = "email"
		default:
			cf.Input = "text"
		}
		v, ok := values[f.Name]
		if !ok {
			v = f.Default
		}
		if !f.Secret && v != nil {
			switch x := v.(type) {
			case bool:
				cf.Checked = x
			case float64:
				cf.Value = strings.TrimSuffix(fmt.Sprintf("%.0f", x), ".0")
			default:
				cf.Value = fmt.Sprint(x)
			}
		}
		out = append(out, cf)
	}
	return out
}

// draftValues are the non-secret values a user typed, to keep on a re-render.
func draftValues(m *integrations.InfisicalMethod, d infisicalDraft) map[string]any {
	raw := m.FormCredentials(d.Values, "credentials.")
	out := map[string]any{}
	for _, f := range m.Fields {
		if _, sent := d.Values["credentials."+f.Name]; !sent {
			// Not on the submitted form (a fresh GET, another app's
			// fields): the catalogue's default applies.
			continue
		}
		if v, ok := raw[f.Name]; ok && !f.Secret {
			out[f.Name] = v
		}
	}
	return out
}

func (h *Handlers) infisicalModel(c *fiber.Ctx, d infisicalDraft, errs views.Errors) (views.InfisicalForm, error) {
	app, m := catalogueChoice(&d)
	f := views.InfisicalForm{CSRF: csrf(c), TeamID: d.TeamID, App: app.Slug, AppName: app.Name, Method: m.Slug,
		Name: d.Name, Description: d.Description, Errors: errs, Fields: connFields(m, draftValues(m, d), false)}
	teams, err := h.teamOptions(c)
	if err != nil {
		return f, err
	}
	f.Teams = teams
	if len(teams) == 1 && f.TeamID == "" {
		f.TeamID = teams[0].Value
	}
	for _, a := range integrations.InfisicalApps {
		f.Apps = append(f.Apps, views.Option{Value: a.Slug, Label: a.Name})
	}
	for _, x := range app.Methods {
		f.Methods = append(f.Methods, views.Option{Value: x.Slug, Label: x.Name})
	}
	f.CanTest = h.Integrations.HasConnectionTester(app.Slug)
	return f, nil
}

// InfisicalNew shows the app connection form; app and method in the query
// choose the fields (htmx reloads it on change; without JavaScript a button
// submits the same GET).
func (h *Handlers) InfisicalNew(c *fiber.Ctx) error {
	f, err := h.infisicalModel(c, readInfisicalDraft(c), nil)
	if err != nil {
		return uiError(c, err)
	}
	return page(c, fiber.StatusOK, "New app connection", "integrations", views.InfisicalPage(f), views.InfisicalFormFragment(f))
}

func testResult(summary string, err error) (*views.TestResult, error) {
	if err == nil {
		return &views.TestResult{OK: true, Message: "Connection works: " + summary}, nil
	}
	e := sb.AsError(err)
	if e.Code == sb.CodeBadRequest {
		return &views.TestResult{OK: false, Message: e.Message}, nil
	}
	return nil, err
}

// InfisicalCreate saves a new app connection (or, with test set, only tests
// the typed credentials).
func (h *Handlers) InfisicalCreate(c *fiber.Ctx) error {
	d := readInfisicalDraft(c)
	h.restoreDraft(c, d.Values)
	if d.Values.Get("reload") != "" {
		// The <noscript> "Show this app's fields": a POST, so that typed
		// secrets never travel in a URL; nothing is saved.
		f, err := h.infisicalModel(c, d, nil)
		if err != nil {
			return uiError(c, err)
		}
		h.keepConnSecrets(c, d.Values, &f)
		return page(c, fiber.StatusOK, "New app connection", "integrations", views.InfisicalPage(f), nil)
	}
	app, m := catalogueChoice(&d)
	creds := m.FormCredentials(d.Values, "credentials.")
	if d.Test {
		summary, err := h.Integrations.TestAppCredentials(c.UserContext(), Actor(c), app.Slug, m.Slug, creds, "")
		return h.renderInfisicalTest(c, d, summary, err, func(errs views.Errors) (views.InfisicalForm, error) { return h.infisicalModel(c, d, errs) })
	}
	in := integrations.AppConnectionInput{App: app.Slug, Method: m.Slug, Name: d.Name, ProjectID: d.TeamID, Credentials: creds}
	if strings.TrimSpace(d.Description) != "" {
		in.Description = &d.Description
	}
	created, err := h.Integrations.Create(c.UserContext(), Actor(c), &in, nil)
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			// An unknown team is Infisical's 404; the form shows it at
			// the field the error names.
			e := sb.AsError(err)
			if e.Code != sb.CodeNotFound || e.Fields["projectId"] == "" {
				return uiError(c, err)
			}
			errs = views.Errors{"projectId": e.Fields["projectId"]}
		}
		f, merr := h.infisicalModel(c, d, errs)
		if merr != nil {
			return uiError(c, merr)
		}
		f.Alert = "Nothing was saved: fix the fields marked below."
		h.keepConnSecrets(c, d.Values, &f)
		return page(c, fiber.StatusUnprocessableEntity, "New app connection", "integrations", views.InfisicalPage(f), views.InfisicalFormFragment(f))
	}
	return redirect(c, "/reveal/"+created.RevealID)
}

// renderInfisicalTest answers "Test connection": the result box alone for
// htmx, else the whole form with the result (secrets are never echoed, so
// without JavaScript they must be typed again to save).
func (h *Handlers) renderInfisicalTest(c *fiber.Ctx, d infisicalDraft, summary string, err error, model func(views.Errors) (views.InfisicalForm, error)) error {
	var errs views.Errors
	res, terr := testResult(summary, err)
	if terr != nil {
		fe, ok := fieldErrors(terr)
		if !ok {
			return uiError(c, terr)
		}
		errs = fe
		res = &views.TestResult{OK: false, Message: "Fix the fields marked below, then test again."}
	}
	f, merr := model(errs)
	if merr != nil {
		return uiError(c, merr)
	}
	// The test used the kept secrets (the draft is taken): keep them again.
	h.keepConnSecrets(c, d.Values, &f)
	if isHTMX(c) && errs == nil {
		c.Vary("HX-Request")
		return render(c, fiber.StatusOK, views.TestResultWithDraft(*res, f.Draft))
	}
	f.Test = res
	status := fiber.StatusOK
	if errs != nil {
		status = fiber.StatusUnprocessableEntity
	}
	if isHTMX(c) {
		// Field errors: swap the whole form so they show next to their fields.
		c.Set("HX-Retarget", "#infisical-form")
		c.Set("HX-Reswap", "outerHTML")
		return render(c, status, views.InfisicalFormFragment(f))
	}
	return page(c, status, "App connection", "integrations", views.InfisicalPage(f), nil)
}

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

func (infisicalPages) details(h *Handlers, _ *fiber.Ctx, r *integrations.Record, d *views.IntegrationDetail) error {
	conn, _, err := integrations.AppConnectionOf(r)
	if err != nil {
		return err
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
