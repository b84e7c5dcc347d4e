package handlers

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"switchboard/integrations"
	"switchboard/integrations/launchdarkly"
	"switchboard/views"
)

// ldDraftOf is the edit form of a stored configuration, as the form would
// post it: non-secret values as text, statements as rows.
func ldDraftOf(m *launchdarkly.Manifest, cfg *integrations.LDConfig) ldDraft {
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
	show := func(label string, f *launchdarkly.FormVariable, v any) {
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

func statementText(st launchdarkly.Statement) string {
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
