package handlers

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
	"switchboard/views"
)

// The LaunchDarkly integration configuration form: a chooser of the
// manifests as cards, then the form its manifest describes. The form posts
// the same LDConfigInput the JSON family builds, so both get the same
// verdicts. Statement rows are added and removed by posting the form with
// op=add-statement or op=remove-statement-N (htmx swaps only the statements;
// without JavaScript the whole form comes back, secrets left empty).

// ldFormStatement is one statement row as the form posts it.
type ldFormStatement struct {
	Effect       string `form:"effect"`
	ResourceMode string `form:"resourceMode"`
	Resources    string `form:"resources"`
	ActionMode   string `form:"actionMode"`
	Actions      string `form:"actions"`
}

func (s ldFormStatement) blank() bool {
	return strings.TrimSpace(s.Resources) == "" && strings.TrimSpace(s.Actions) == ""
}

// ldFormBody is what go-playground/form decodes from the form; the config
// values are read by launchdarkly.FormConfigValues.
type ldFormBody struct {
	IntegrationKey string            `form:"integrationKey"`
	TeamID         string            `form:"team_id"`
	Name           string            `form:"name"`
	Enabled        []string          `form:"enabled"`
	Tags           string            `form:"tags"`
	Statements     []ldFormStatement `form:"statements"`
	Op             string            `form:"op"`
}

type ldDraft struct {
	body        ldFormBody
	values      url.Values
	additionals string
	fresh       bool
	// stored is the configuration being edited (nil on the new form).
	stored *integrations.LDConfig
}

func (h *Handlers) readLDDraft(c *fiber.Ctx) (ldDraft, error) {
	v := formValues(c)
	d := ldDraft{values: v, additionals: v.Get("capabilityConfig.approvals.additionalFormVariables")}
	// Decode only the members the struct names: configValues.* and the
	// approvals textarea are read apart, and unknown keys must not fail.
	known := url.Values{}
	for k, vals := range v {
		if strings.HasPrefix(k, "statements[") || k == "integrationKey" || k == "team_id" || k == "name" || k == "enabled" || k == "tags" || k == "op" {
			known[k] = vals
		}
	}
	if err := h.forms.Decode(&d.body, known); err != nil {
		return d, sb.Errorf(sb.CodeInvalid, "the form could not be read")
	}
	if c.Method() == fiber.MethodGet {
		d.body.IntegrationKey = c.Query("integrationKey")
		d.fresh = true
	} else if !(d.body.Op != "" && isHTMX(c)) {
		// An htmx statement change swaps only the statements, so it
		// leaves the form's draft alone.
		h.restoreDraft(c, d.values)
	}
	return d, nil
}

func (d ldDraft) enabled() bool {
	if d.fresh || len(d.body.Enabled) == 0 {
		return true
	}
	return d.body.Enabled[len(d.body.Enabled)-1] == "true"
}

// splitLines splits a textarea into its non-empty lines (and, with commas,
// comma-separated items).
func splitLines(s string, commas bool) []string {
	f := func(r rune) bool { return r == '\n' || r == '\r' || (commas && r == ',') }
	var out []string
	for _, p := range strings.FieldsFunc(s, f) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ldInput builds the LDConfigInput the form stands for, as the JSON family
// would carry it. A problem only a form can have (approvals text that is
// not JSON) is returned as field errors to merge.
func ldInput(m *launchdarkly.Manifest, d ldDraft) (integrations.LDConfigInput, sb.Validation) {
	v := sb.Validation{}
	enabled := d.enabled()
	in := integrations.LDConfigInput{
		IntegrationKey: m.Key, TeamID: d.body.TeamID, Name: d.body.Name, Enabled: &enabled,
		Tags:         splitLines(d.body.Tags, true),
		ConfigValues: launchdarkly.FormConfigValues(m, d.values, "configValues."),
	}
	cc := map[string]any{}
	var statements []any
	for _, s := range d.body.Statements {
		if s.blank() {
			continue
		}
		st := map[string]any{"effect": s.Effect}
		resKey := "resources"
		if s.ResourceMode == "notResources" {
			resKey = "notResources"
		}
		st[resKey] = toAny(splitLines(s.Resources, false))
		actKey := "actions"
		if s.ActionMode == "notActions" {
			actKey = "notActions"
		}
		st[actKey] = toAny(splitLines(s.Actions, true))
		statements = append(statements, st)
	}
	if len(statements) > 0 {
		cc["auditLogEventsHook"] = map[string]any{"statements": statements}
	}
	if t := strings.TrimSpace(d.additionals); t != "" {
		var list any
		if err := json.Unmarshal([]byte(t), &list); err != nil {
			v.Add("capabilityConfig.approvals.additionalFormVariables", "is not valid JSON: "+strings.TrimPrefix(err.Error(), "json: "))
		} else {
			cc["approvals"] = map[string]any{"additionalFormVariables": list}
		}
	}
	if len(cc) > 0 {
		in.CapabilityConfig = cc
	}
	return in, v
}

// ldModel builds the page model for a draft.
func (h *Handlers) ldModel(c *fiber.Ctx, d ldDraft, errs views.Errors) (views.LaunchDarklyForm, error) {
	f := views.LaunchDarklyForm{CSRF: csrf(c), Errors: errs}
	if d.stored != nil {
		d.body.IntegrationKey = d.stored.IntegrationKey
		f.Edit, f.ID, f.TeamName = true, d.stored.ID, d.stored.TeamName
	} else {
		f.Cards = ldCards(h.Integrations.Manifests)
	}
	m, ok := h.Integrations.Manifests.Get(d.body.IntegrationKey)
	if !ok {
		return f, nil
	}
	if !f.Edit {
		teams, err := h.teamOptions(c)
		if err != nil {
			return f, err
		}
		f.Teams, f.TeamID = teams, d.body.TeamID
		if len(teams) == 1 && f.TeamID == "" {
			f.TeamID = teams[0].Value
		}
	}
	f.Key, f.ManifestName, f.Capabilities = m.Key, m.Name, m.Capabilities
	f.Name, f.Tags, f.Enabled = d.body.Name, d.body.Tags, d.enabled()
	typed := launchdarkly.FormConfigValues(m, d.values, "configValues.")
	for i := range m.FormVariables {
		if m.FormVariables[i].IsSecret {
			delete(typed, m.FormVariables[i].Key) // never echoed
		}
	}
	f.Fields = ldFields(m, typed, d.fresh, d.stored)
	f.HasAuditHook = m.HasCapability(launchdarkly.CapabilityAuditLogEventsHook)
	for i, s := range d.body.Statements {
		f.Statements = append(f.Statements, views.LDStatementRow{Index: i, Effect: s.Effect, ResourceMode: s.ResourceMode,
			Resources: s.Resources, ActionMode: s.ActionMode, Actions: s.Actions})
	}
	if f.HasAuditHook && d.fresh && len(f.Statements) == 0 {
		f.Statements = []views.LDStatementRow{{Index: 0, Effect: "allow", Resources: "proj/*:env/*:flag/*", Actions: "*"}}
	}
	f.HasApprovals = m.HasCapability(launchdarkly.CapabilityApproval)
	f.AdditionalFormVariables = d.additionals
	return f, nil
}

func (h *Handlers) renderLD(c *fiber.Ctx, status int, f views.LaunchDarklyForm) error {
	if f.Edit {
		return page(c, status, "Edit "+f.Name, "integrations", views.LaunchDarklyEditPage(f), views.LaunchDarklyFormFragment(f))
	}
	return page(c, status, "New LaunchDarkly configuration", "integrations", views.LaunchDarklyPage(f), views.LaunchDarklyChooser(f))
}

// LaunchDarklyNew shows the chooser and, with ?integrationKey=, the form
// of that integration (htmx swaps in only the form).
func (h *Handlers) LaunchDarklyNew(c *fiber.Ctx) error {
	d, err := h.readLDDraft(c)
	if err != nil {
		return uiError(c, err)
	}
	if k := d.body.IntegrationKey; k != "" {
		if _, ok := h.Integrations.Manifests.Get(k); !ok {
			return uiError(c, sb.Errorf(sb.CodeNotFound, "no such integration"))
		}
	}
	f, err := h.ldModel(c, d, nil)
	if err != nil {
		return uiError(c, err)
	}
	return h.renderLD(c, fiber.StatusOK, f)
}

// LaunchDarklyCreate saves a configuration, or adds or removes a statement
// row (op) without saving.
func (h *Handlers) LaunchDarklyCreate(c *fiber.Ctx) error {
	d, err := h.readLDDraft(c)
	if err != nil {
		return uiError(c, err)
	}
	m, err := h.Integrations.Manifest(d.body.IntegrationKey)
	if err != nil {
		return uiError(c, err)
	}
	if d.body.Op != "" {
		return h.ldStatementOp(c, m, d)
	}
	// Approvals text that is not JSON (formErrs): nothing is saved, and
	// every other field is still checked so all errors show at once.
	in, formErrs := ldInput(m, d)
	created, err := h.Integrations.Create(c.UserContext(), Actor(c), &in, formErrs.Err())
	if err != nil {
		return h.renderLDInvalid(c, d, err)
	}
	if created.RevealID == "" {
		flash(c, "success", "Saved. This configuration has no secret or generated value to show.")
		return redirect(c, "/integrations/"+created.Record.ID)
	}
	return redirect(c, "/reveal/"+created.RevealID)
}

// ldStatementOp adds or removes a statement row (op) and re-renders
// without saving: the statements alone for htmx, else the whole form.
func (h *Handlers) ldStatementOp(c *fiber.Ctx, m *launchdarkly.Manifest, d ldDraft) error {
	switch op := d.body.Op; {
	case op == "add-statement":
		d.body.Statements = append(d.body.Statements, ldFormStatement{Effect: "allow"})
	case strings.HasPrefix(op, "remove-statement-"):
		if i, err := strconv.Atoi(strings.TrimPrefix(op, "remove-statement-")); err == nil && i >= 0 && i < len(d.body.Statements) {
			d.body.Statements = append(d.body.Statements[:i], d.body.Statements[i+1:]...)
		}
	}
	f, err := h.ldModel(c, d, nil)
	if err != nil {
		return uiError(c, err)
	}
	if isHTMX(c) {
		c.Vary("HX-Request")
		return render(c, fiber.StatusOK, views.LDStatements(f))
	}
	h.keepLDSecrets(c, d.values, &f)
	if len(m.FormVariables) > 0 {
		f.Notice = "Statements changed; nothing was saved yet. Secret fields are never sent back: type them again before saving."
		if f.Draft != "" {
			f.Notice = "Statements changed; nothing was saved yet. The secret values you typed are kept on the server (not in this page): leave their fields blank to use them."
		}
		if f.Edit {
			f.Notice = "Statements changed; nothing was saved yet. Secret fields left empty keep their stored values."
		}
	}
	return h.renderLD(c, fiber.StatusOK, f)
}

// renderLDInvalid answers a refused save: the form again, 422, each error
// next to its field (or in the alert when no field shows it); errors that
// are not about fields get their page.
func (h *Handlers) renderLDInvalid(c *fiber.Ctx, d ldDraft, err error) error {
	errs, ok := fieldErrors(err)
	if !ok {
		return uiError(c, err)
	}
	f, merr := h.ldModel(c, d, errs)
	if merr != nil {
		return uiError(c, merr)
	}
	h.keepLDSecrets(c, d.values, &f)
	f.Alert = "Nothing was saved: fix the fields marked below."
	if other := unplacedErrors(f, errs); other != "" {
		f.Alert = "Nothing was saved: " + other
	}
	return h.renderLD(c, fiber.StatusUnprocessableEntity, f)
}

// unplacedErrors lists the errors that no input of the form shows (a key
// the manifest does not have, a hidden variable), so none goes unsaid.
func unplacedErrors(f views.LaunchDarklyForm, errs views.Errors) string {
	placed := map[string]bool{"name": true, "tags": true, "team_id": true}
	for _, x := range f.Fields {
		placed["configValues."+x.Key] = true
	}
	var out []string
	for _, k := range sortedKeys(errs) {
		switch {
		case placed[k]:
		case f.HasAuditHook && strings.HasPrefix(k, "capabilityConfig.auditLogEventsHook"):
		case f.HasApprovals && strings.HasPrefix(k, "capabilityConfig.approvals"):
		default:
			out = append(out, k+": "+errs[k])
		}
	}
	return strings.Join(out, "; ")
}
