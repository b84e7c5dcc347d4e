package handlers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
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
// values are read by integrations.FormConfigValues.
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
func ldInput(m *integrations.Manifest, d ldDraft) (integrations.LDConfigInput, sb.Validation) {
	v := sb.Validation{}
	enabled := d.enabled()
	in := integrations.LDConfigInput{
		IntegrationKey: m.Key, TeamID: d.body.TeamID, Name: d.body.Name, Enabled: &enabled,
		Tags:         splitLines(d.body.Tags, true),
		ConfigValues: integrations.FormConfigValues(m, d.values, "configValues."),
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

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// ldFields renders the manifest's visible form variables with the values
// typed so far (never a secret's).
func ldFields(m *integrations.Manifest, typed map[string]any, fresh bool, stored *integrations.LDConfig) []views.LDField {
	visible := integrations.VisibleVariables(m, typed)
	out := []views.LDField{}
	for i := range m.FormVariables {
		f := &m.FormVariables[i]
		if f.IsHidden {
			continue
		}
		x := views.LDField{Key: f.Key, Name: f.Name, Description: f.Description, Placeholder: f.Placeholder, Type: f.Type,
			Required: !f.IsOptional, Optional: f.IsOptional, Hidden: !visible[f.Key]}
		val, given := typed[f.Key]
		if !given || fresh {
			val = f.Default()
		}
		switch {
		case !f.Supported():
			x.Input, x.Required = "unavailable", false
		case f.Generated():
			x.Input, x.Required = "generated", false
		case f.Type == integrations.FVBoolean:
			x.Input, x.Required = "checkbox", false
			x.Checked, _ = val.(bool)
		case f.Type == integrations.FVEnum:
			x.Input = "select"
			for _, a := range f.AllowedValues {
				x.Options = append(x.Options, views.Option{Value: a, Label: a})
			}
			x.Value, _ = val.(string)
		case f.Type == integrations.FVMultiselect:
			x.Input, x.Required = "multiselect", false
			for _, o := range f.MultiselectOptions {
				x.Options = append(x.Options, views.Option{Value: o.Value, Label: o.Label})
			}
			switch l := val.(type) {
			case []string:
				x.Selected = l
			}
		case f.IsSecret:
			x.Input = "password"
		case f.Type == integrations.FVURI:
			x.Input = "url"
			x.Value, _ = val.(string)
		default:
			x.Input = "text"
			x.Value, _ = val.(string)
		}
		if stored != nil {
			sv, has := stored.ConfigValues[f.Key]
			switch {
			case f.Generated() && has:
				x.Value = fmt.Sprint(sv)
			case f.IsSecret && stored.IsSecretValue(f.Key):
				x.Stored = true
			}
			if f.DisableAfterSaving && has && !f.Generated() {
				x.Input, x.Locked, x.Required = "text", true, false
				x.Value = fmt.Sprint(sv)
			}
		}
		if len(f.DependsOn) > 0 {
			b, _ := json.Marshal(f.DependsOn)
			x.Depends = string(b)
			x.DependsHint = dependsHint(m, f)
			// A field that may be hidden is never required by the browser:
			// the server decides, with the values it gets.
			x.Required = false
		}
		out = append(out, x)
	}
	return out
}

// dependsHint says in words when a field is used.
func dependsHint(m *integrations.Manifest, f *integrations.FormVariable) string {
	var parts []string
	for _, d := range f.DependsOn {
		name := d.VariableKey
		if dep, ok := m.Variable(d.VariableKey); ok {
			name = dep.Name
		}
		var conds []string
		for _, c := range d.Conditions {
			conds = append(conds, fmt.Sprintf("%s %s %q", name, operatorWords(c.Operator), c.Value))
		}
		verb := "Used only when "
		if d.Action == "hideField" {
			verb = "Not used when "
		}
		parts = append(parts, verb+strings.Join(conds, " and ")+".")
	}
	return strings.Join(parts, " ")
}

func operatorWords(op string) string {
	switch op {
	case "equalTo":
		return "is"
	case "notEqual":
		return "is not"
	case "contains":
		return "contains"
	case "startsWith":
		return "starts with"
	case "endsWith":
		return "ends with"
	case "lessThan":
		return "is less than"
	case "lessThanOrEqualTo":
		return "is at most"
	case "greaterThan":
		return "is greater than"
	case "greaterThanOrEqualTo":
		return "is at least"
	}
	return op
}

func ldCards(set *integrations.ManifestSet) []views.LDCard {
	var out []views.LDCard
	for _, m := range set.All() {
		c := views.LDCard{Key: m.Key, Name: m.Name, Description: m.Description, Capabilities: m.Capabilities}
		for _, f := range m.FormVariables {
			if !f.Supported() && !strings.Contains(strings.Join(c.Unavailable, ","), f.Type) {
				c.Unavailable = append(c.Unavailable, f.Type)
			}
		}
		out = append(out, c)
	}
	return out
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
	typed := integrations.FormConfigValues(m, d.values, "configValues.")
	for i := range m.FormVariables {
		if m.FormVariables[i].IsSecret {
			delete(typed, m.FormVariables[i].Key) // never echoed
		}
	}
	f.Fields = ldFields(m, typed, d.fresh, d.stored)
	f.HasAuditHook = m.HasCapability(integrations.CapabilityAuditLogEventsHook)
	for i, s := range d.body.Statements {
		f.Statements = append(f.Statements, views.LDStatementRow{Index: i, Effect: s.Effect, ResourceMode: s.ResourceMode,
			Resources: s.Resources, ActionMode: s.ActionMode, Actions: s.Actions})
	}
	if f.HasAuditHook && d.fresh && len(f.Statements) == 0 {
		f.Statements = []views.LDStatementRow{{Index: 0, Effect: "allow", Resources: "proj/*:env/*:flag/*", Actions: "*"}}
	}
	f.HasApprovals = m.HasCapability(integrations.CapabilityApproval)
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
func (h *Handlers) ldStatementOp(c *fiber.Ctx, m *integrations.Manifest, d ldDraft) error {
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
	if len(m.FormVariables) > 0 {
		f.Notice = "Statements changed; nothing was saved yet. Secret fields are never sent back: type them again before saving."
		if f.Edit {
			f.Notice = "Statements changed; nothing was saved yet. Secret fields left empty keep their stored values."
		}
	}
	return h.renderLD(c, fiber.StatusOK, f)
}

// ldDraftOf is the edit form of a stored configuration, as the form would
// post it: non-secret values as text, statements as rows.
func ldDraftOf(m *integrations.Manifest, cfg *integrations.LDConfig) ldDraft {
	d := ldDraft{values: url.Values{}, stored: cfg}
	d.body = ldFormBody{IntegrationKey: cfg.IntegrationKey, Name: cfg.Name, Tags: strings.Join(cfg.Tags, ", "), Enabled: []string{strconv.FormatBool(cfg.Enabled)}}
	for _, f := range m.FormVariables {
		v, ok := cfg.ConfigValues[f.Key]
		if !ok || cfg.IsSecretValue(f.Key) || f.Generated() {
			continue
		}
		name := "configValues." + f.Key
		switch x := v.(type) {
		case bool:
			d.values.Set(name, strconv.FormatBool(x))
		case []any:
			d.values.Add(name, "")
			for _, it := range x {
				d.values.Add(name, fmt.Sprint(it))
			}
		default:
			d.values.Set(name, fmt.Sprint(x))
		}
	}
	if hook := cfg.CapabilityConfig.AuditLogEventsHook; hook != nil {
		for _, st := range hook.Statements {
			row := ldFormStatement{Effect: st.Effect, Resources: strings.Join(st.Resources, "\n"), Actions: strings.Join(st.Actions, ", ")}
			if len(st.NotResources) > 0 {
				row.ResourceMode, row.Resources = "notResources", strings.Join(st.NotResources, "\n")
			}
			if len(st.NotActions) > 0 {
				row.ActionMode, row.Actions = "notActions", strings.Join(st.NotActions, ", ")
			}
			d.body.Statements = append(d.body.Statements, row)
		}
	}
	if ap := cfg.CapabilityConfig.Approvals; ap != nil && len(ap.AdditionalFormVariables) > 0 {
		b, _ := json.MarshalIndent(ap.AdditionalFormVariables, "", "  ")
		d.additionals = string(b)
	}
	return d
}

// ldEdit shows the edit form of a stored configuration.
func (h *Handlers) ldEdit(c *fiber.Ctx, cfg *integrations.LDConfig) error {
	m, err := h.Integrations.Manifest(cfg.IntegrationKey)
	if err != nil {
		return uiError(c, err)
	}
	f, err := h.ldModel(c, ldDraftOf(m, cfg), nil)
	if err != nil {
		return uiError(c, err)
	}
	return h.renderLD(c, fiber.StatusOK, f)
}

// ldUpdate saves the edit form (or changes its statement rows).
func (h *Handlers) ldUpdate(c *fiber.Ctx, cfg *integrations.LDConfig) error {
	m, err := h.Integrations.Manifest(cfg.IntegrationKey)
	if err != nil {
		return uiError(c, err)
	}
	d, err := h.readLDDraft(c)
	if err != nil {
		return uiError(c, err)
	}
	d.stored = cfg
	d.body.IntegrationKey = cfg.IntegrationKey
	if d.body.Op != "" {
		return h.ldStatementOp(c, m, d)
	}
	in, formErrs := ldInput(m, d)
	if len(formErrs) > 0 {
		err = formErrs.Err()
	} else {
		_, err = h.Integrations.UpdateLDConfig(c.UserContext(), Actor(c), cfg.ID, in)
	}
	if err != nil {
		return h.renderLDInvalid(c, d, err)
	}
	flash(c, "success", "Saved. Secret fields left empty kept their stored values.")
	return redirect(c, "/integrations/"+cfg.ID)
}

// ldDetails adds a configuration's values to its detail page: secret ones
// masked, generated values and public keys in full.
func (h *Handlers) ldDetails(d *views.IntegrationDetail, cfg *integrations.LDConfig) {
	m, known := h.Integrations.Manifests.Get(cfg.IntegrationKey)
	d.Provider = "LaunchDarkly integration configuration"
	name := cfg.IntegrationKey
	if known {
		name = m.Name + " (" + m.Key + ")"
	}
	enabled := "yes"
	if !cfg.Enabled {
		enabled = "no"
	}
	tags := strings.Join(cfg.Tags, ", ")
	if tags == "" {
		tags = "none"
	}
	d.Details = append(d.Details, views.Detail{Label: "Integration", Value: name},
		views.Detail{Label: "Enabled", Value: enabled}, views.Detail{Label: "Tags", Value: tags})
	show := func(label string, f *integrations.FormVariable, v any) {
		switch x := v.(type) {
		case bool:
			d.Details = append(d.Details, views.Detail{Label: label, Value: map[bool]string{true: "yes", false: "no"}[x]})
		case []any, []string:
			var parts []string
			switch l := x.(type) {
			case []any:
				for _, p := range l {
					parts = append(parts, fmt.Sprint(p))
				}
			case []string:
				parts = l
			}
			d.Details = append(d.Details, views.Detail{Label: label, Value: strings.Join(parts, ", "), Mono: true})
		default:
			s := fmt.Sprint(x)
			if f != nil && f.HideEmpty && s == "" {
				return
			}
			if cfg.IsSecretValue(f.Key) {
				label += " (encrypted, masked)"
			}
			d.Details = append(d.Details, views.Detail{Label: label, Value: s, Mono: true, TestID: "config-" + f.Key})
		}
	}
	if known {
		for i := range m.FormVariables {
			f := &m.FormVariables[i]
			if v, ok := cfg.ConfigValues[f.Key]; ok {
				show(f.Name, f, v)
			}
		}
	}
	if hook := cfg.CapabilityConfig.AuditLogEventsHook; hook != nil {
		for i, st := range hook.Statements {
			d.Details = append(d.Details, views.Detail{Label: fmt.Sprintf("Audit statement %d", i+1), Value: statementText(st), Mono: true})
		}
	}
	if ap := cfg.CapabilityConfig.Approvals; ap != nil {
		var keys []string
		for _, f := range ap.AdditionalFormVariables {
			keys = append(keys, f.Key)
		}
		d.Details = append(d.Details, views.Detail{Label: "Approval form variables", Value: strings.Join(keys, ", "), Mono: true})
	}
	if cfg.Status != integrations.StatusRevoked && known {
		d.EditHref = "/integrations/" + cfg.ID + "/edit"
	}
	d.SecretNote = "Secret values were shown once, when the configuration was saved, and are stored encrypted; here and in the API they appear only masked. The private halves of generated key pairs never leave Switchboard."
}

func statementText(st integrations.LDStatement) string {
	parts := []string{st.Effect}
	for _, p := range []struct {
		name string
		list []string
	}{{"resources", st.Resources}, {"notResources", st.NotResources}, {"actions", st.Actions}, {"notActions", st.NotActions}} {
		if len(p.list) > 0 {
			parts = append(parts, p.name+" "+strings.Join(p.list, " "))
		}
	}
	return strings.Join(parts, " · ")
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

// launchDarklyPages are a configuration's detail lines and its edit page,
// both rendered from its manifest.
type launchDarklyPages struct{}

func (launchDarklyPages) details(h *Handlers, _ *fiber.Ctx, r *integrations.Record, d *views.IntegrationDetail) error {
	cfg, _, err := integrations.LDConfigOf(r)
	if err != nil {
		return err
	}
	h.ldDetails(d, cfg)
	return nil
}

func (launchDarklyPages) edit(h *Handlers, c *fiber.Ctx, r *integrations.Record) error {
	cfg, _, err := integrations.LDConfigOf(r)
	if err != nil || r.Status == integrations.StatusRevoked {
		return uiError(c, firstErr(err, errNoPage))
	}
	return h.ldEdit(c, cfg)
}

func (launchDarklyPages) update(h *Handlers, c *fiber.Ctx, r *integrations.Record) error {
	cfg, _, err := integrations.LDConfigOf(r)
	if err != nil || r.Status == integrations.StatusRevoked {
		return uiError(c, firstErr(err, errNoPage))
	}
	return h.ldUpdate(c, cfg)
}
