package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
	"switchboard/handlers/session"
	"switchboard/views"
)

// Secrets typed into a form refused for another field are not written back
// into the page (not even on an error) and not lost either: the refused
// save seals them server-side into a short-lived draft (integrations
// KeepDraft: bound to the user, the browser session and the form's path,
// single use, fifteen minutes) and the page carries only the draft's id in
// a hidden "draft" input, with an empty secret field that says the value is
// kept. A resubmit with the field left blank takes the draft and uses the
// kept value; a newly typed value wins.

// draftInput is the name of the hidden input that carries a draft's id.
const draftInput = "draft"

func sessionID(c *fiber.Ctx) string {
	if s := session.From(c); s != nil {
		return s.SID()
	}
	return ""
}

// restoreDraft takes the draft the form names (once) and fills each of its
// fields that was left blank; it reports which fields it filled. A stale or
// foreign draft fills nothing.
func (h *Handlers) restoreDraft(c *fiber.Ctx, v url.Values) map[string]bool {
	id := v.Get(draftInput)
	v.Del(draftInput)
	if id == "" {
		return nil
	}
	kept, err := h.Integrations.TakeDraft(c.UserContext(), Actor(c), sessionID(c), c.Path(), id)
	if err != nil {
		// Losing a kept secret only means typing it again.
		logInternal(c, asError(err))
		return nil
	}
	filled := map[string]bool{}
	for k, val := range kept {
		if v.Get(k) == "" {
			v.Set(k, val)
			filled[k] = true
		}
	}
	return filled
}

// keepDraft seals the non-empty values of the secret fields names in v,
// except those an error is about (a refused secret is typed again), and
// returns the draft's id and the fields it kept.
func (h *Handlers) keepDraft(c *fiber.Ctx, v url.Values, names []string, errs views.Errors) (string, map[string]bool) {
	values := map[string]string{}
	for _, n := range names {
		if _, bad := errs[n]; bad {
			continue
		}
		if val := v.Get(n); val != "" {
			values[n] = val
		}
	}
	if len(values) == 0 {
		return "", nil
	}
	id, err := h.Integrations.KeepDraft(c.UserContext(), Actor(c), sessionID(c), c.Path(), values)
	if err != nil || id == "" {
		if err != nil {
			logInternal(c, asError(err))
		}
		return "", nil
	}
	kept := make(map[string]bool, len(values))
	for k := range values {
		kept[k] = true
	}
	return id, kept
}

// keepConnSecrets keeps an app connection form's typed secrets.
func (h *Handlers) keepConnSecrets(c *fiber.Ctx, v url.Values, f *views.InfisicalForm) {
	var names []string
	for _, x := range f.Fields {
		if x.Secret {
			names = append(names, "credentials."+x.Name)
		}
	}
	id, kept := h.keepDraft(c, v, names, f.Errors)
	f.Draft = id
	for i := range f.Fields {
		f.Fields[i].Kept = kept["credentials."+f.Fields[i].Name]
	}
}

// keepLDSecrets keeps a LaunchDarkly form's typed secret config values.
func (h *Handlers) keepLDSecrets(c *fiber.Ctx, v url.Values, f *views.LaunchDarklyForm) {
	var names []string
	for _, x := range f.Fields {
		if x.Input == "password" {
			names = append(names, "configValues."+x.Key)
		}
	}
	id, kept := h.keepDraft(c, v, names, f.Errors)
	f.Draft = id
	for i := range f.Fields {
		f.Fields[i].Kept = kept["configValues."+f.Fields[i].Key]
	}
}
