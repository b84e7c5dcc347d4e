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
