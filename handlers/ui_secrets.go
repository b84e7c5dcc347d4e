package handlers

import (
	"io"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/syncs"
	"switchboard/views"
)

// The Secrets page and the secret syncs pages (the browser side of the
// secret-sync family). Values are never rendered: the value input is a
// password field that is never refilled.

func (h *Handlers) syncTeams(c *fiber.Ctx, want string) ([]views.Option, string, error) {
	teams, err := h.Syncs.Teams(c.UserContext(), Actor(c))
	if err != nil {
		return nil, "", err
	}
	opts := make([]views.Option, len(teams))
	chosen := ""
	for i, t := range teams {
		opts[i] = views.Option{Value: t.ID, Label: t.Name}
		if t.ID == want {
			chosen = t.ID
		}
	}
	if chosen == "" && want != "" {
		// Another team's id (or no team's) is not found, as everywhere.
		return nil, "", sb.Errorf(sb.CodeNotFound, "Team not found")
	}
	if chosen == "" && len(teams) > 0 {
		chosen = teams[0].ID
	}
	return opts, chosen, nil
}

// uiSecretErrors renames the domain's JSON field names to the form's.
func uiSecretErrors(err error) (views.Errors, bool) {
	e := sb.AsError(err)
	if e.Code != sb.CodeInvalid && e.Code != sb.CodeBadRequest && e.Code != sb.CodeNotFound {
		return nil, false
	}
	out := views.Errors{}
	for f, m := range e.Fields {
		switch {
		case f == "secretName" || strings.HasSuffix(f, ".secretKey"):
			out["key"] = m
		case f == "secretValue" || strings.HasSuffix(f, ".secretValue"):
			out["value"] = m
		case f == "secretComment":
			out["comment"] = m
		default:
			out[f] = m
		}
	}
	if len(out) == 0 {
		out["key"] = e.Message
	}
	return out, true
}

func (h *Handlers) secretsView(c *fiber.Ctx, team, env, path string) (views.SecretsView, error) {
	v := views.SecretsView{CSRF: csrf(c), Env: env, Path: path}
	var err error
	v.Teams, v.TeamID, err = h.syncTeams(c, team)
	if err != nil || v.TeamID == "" {
		return v, err
	}
	envs, err := h.Syncs.Environments(c.UserContext(), Actor(c), v.TeamID)
	if err != nil {
		return v, err
	}
	v.EnvIDs = map[string]string{}
	for _, e := range envs {
		v.Envs = append(v.Envs, views.Option{Value: e.Slug, Label: e.Name})
		v.EnvIDs[e.Slug] = e.ID
	}
	if v.Env == "" && len(envs) > 0 {
		v.Env = envs[0].Slug
	}
	if v.Path == "" {
		v.Path = "/"
	}
	folders, err := h.Syncs.Folders(c.UserContext(), Actor(c), v.TeamID, v.Env)
	if err != nil {
		return v, err
	}
	for _, f := range folders {
		v.Folders = append(v.Folders, f.Path)
	}
	list, err := h.Syncs.ListSecrets(c.UserContext(), Actor(c), syncs.Scope{ProjectID: v.TeamID, Environment: v.Env, SecretPath: v.Path})
	if err != nil {
		return v, err
	}
	for _, s := range list {
		v.Secrets = append(v.Secrets, views.SecretRow{Key: s.Key, Comment: s.Comment, UpdatedBy: s.UpdatedBy, Version: s.Version, UpdatedAt: s.UpdatedAt})
	}
	return v, nil
}

// SecretsPage is GET /secrets?team=&env=&path=.
func (h *Handlers) SecretsPage(c *fiber.Ctx) error {
	v, err := h.secretsView(c, c.Query("team"), c.Query("env"), c.Query("path"))
	if err != nil {
		return uiError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return page(c, fiber.StatusOK, "Secrets", "secrets", views.Secrets(v), nil)
}

// formOrQuery is a form value, or the query's (the confirmation page posts
// its object in the action URL).
func formOrQuery(c *fiber.Ctx, name string) string {
	if v := c.FormValue(name); v != "" {
		return v
	}
	return c.Query(name)
}

func secretsURL(team, env, path string) string {
	return "/secrets?" + url.Values{"team": {team}, "env": {env}, "path": {path}}.Encode()
}

func (h *Handlers) secretsBack(c *fiber.Ctx, msg string) error {
	flash(c, "success", msg)
	return redirect(c, secretsURL(formOrQuery(c, "team"), formOrQuery(c, "env"), formOrQuery(c, "path")))
}

func (h *Handlers) secretsInvalid(c *fiber.Ctx, err error, fill func(*views.SecretsView)) error {
	errs, ok := uiSecretErrors(err)
	if !ok {
		return uiError(c, err)
	}
	v, verr := h.secretsView(c, c.FormValue("team"), c.FormValue("env"), c.FormValue("path"))
	if verr != nil {
		return uiError(c, verr)
	}
	v.Errors = errs
	fill(&v)
	return page(c, fiber.StatusUnprocessableEntity, "Secrets", "secrets", views.Secrets(v), nil)
}

// SecretSave is POST /secrets: add a secret, or change one (an empty value
// keeps the stored one).
func (h *Handlers) SecretSave(c *fiber.Ctx) error {
	sc := syncs.Scope{ProjectID: c.FormValue("team"), Environment: c.FormValue("env"), SecretPath: c.FormValue("path")}
	key, value, comment := strings.TrimSpace(c.FormValue("key")), c.FormValue("value"), c.FormValue("comment")
	in := syncs.SecretInput{Key: key, Comment: &comment}
	if value != "" {
		in.Value = &value
	}
	_, err := h.Syncs.UpdateSecret(c.UserContext(), Actor(c), sc, in)
	if sb.ErrorCode(err) == sb.CodeNotFound && strings.Contains(sb.AsError(err).Message, "Secret with key") {
		_, err = h.Syncs.CreateSecret(c.UserContext(), Actor(c), sc, in)
	}
	if err != nil {
		return h.secretsInvalid(c, err, func(v *views.SecretsView) { v.Key, v.Comment = key, comment })
	}
	return h.secretsBack(c, "Saved "+key+". Its value will not be shown again.")
}

// MaxDotenvBytes bounds an uploaded .env file (views.MaxDotenvLabel).
const MaxDotenvBytes = 256 << 10

// dotenvText is the uploaded .env file when one was sent, else the pasted text.
func dotenvText(c *fiber.Ctx) (string, error) {
	fh, err := c.FormFile("dotenv_file")
	if err != nil || fh.Size == 0 {
		return c.FormValue("dotenv"), nil
	}
	tooBig := &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"dotenv_file": "The file is larger than " + views.MaxDotenvLabel}}
	f, err := fh.Open()
	if err != nil {
		return "", sb.Internal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxDotenvBytes+1))
	if err != nil {
		return "", sb.Internal(err)
	}
	if len(b) > MaxDotenvBytes {
		return "", tooBig
	}
	return string(b), nil
}

// SecretImport is POST /secrets/import: a pasted .env or an uploaded file,
// all or nothing.
func (h *Handlers) SecretImport(c *fiber.Ctx) error {
	text, err := dotenvText(c)
	if err != nil {
		return h.secretsInvalid(c, err, func(v *views.SecretsView) {})
	}
	in, err := syncs.ParseDotenv(text)
	if err == nil {
		_, err = h.Syncs.UpsertSecrets(c.UserContext(), Actor(c), syncs.Scope{ProjectID: c.FormValue("team"), Environment: c.FormValue("env"), SecretPath: c.FormValue("path")}, in)
	}
	if err != nil {
		return h.secretsInvalid(c, err, func(v *views.SecretsView) { v.Dotenv = "" })
	}
	return h.secretsBack(c, "Imported "+itoa(len(in))+" secrets.")
}

// SecretConfirmDelete is GET /secrets/confirm/delete?team=&env=&path=&key=:
// the shared confirmation (a dialog with htmx, else a page).
func (h *Handlers) SecretConfirmDelete(c *fiber.Ctx) error {
	sc := syncs.Scope{ProjectID: c.Query("team"), Environment: c.Query("env"), SecretPath: c.Query("path")}
	list, err := h.Syncs.ListSecrets(c.UserContext(), Actor(c), sc)
	if err != nil {
		return uiError(c, err)
	}
	var found *syncs.Secret
	for i := range list {
		if list[i].Key == c.Query("key") {
			found = &list[i]
		}
	}
	if found == nil {
		return uiError(c, sb.Errorf(sb.CodeNotFound, "not found"))
	}
	q := url.Values{"team": {found.TeamID}, "env": {found.Environment}, "path": {found.Path}, "key": {found.Key}}
	v := views.ConfirmView{ID: found.ID, Name: found.Key, Action: "delete", Button: "Delete", Danger: true, CSRF: csrf(c),
		Title: "Delete the secret " + found.Key + "?", Text: "It is removed for good. Integrations that synced it remove it from their targets at their next run.",
		ActionURL: "/secrets/delete?" + q.Encode(), CancelURL: secretsURL(found.TeamID, found.Environment, found.Path)}
	return page(c, fiber.StatusOK, v.Title, "secrets", views.ConfirmPage(v), views.ConfirmDialog(v))
}

// SecretDelete is POST /secrets/delete (its object in the form or the query).
func (h *Handlers) SecretDelete(c *fiber.Ctx) error {
	key := formOrQuery(c, "key")
	if _, err := h.Syncs.DeleteSecret(c.UserContext(), Actor(c), syncs.Scope{ProjectID: formOrQuery(c, "team"), Environment: formOrQuery(c, "env"), SecretPath: formOrQuery(c, "path")}, key); err != nil {
		return uiError(c, err)
	}
	return h.secretsBack(c, "Deleted "+key+".")
}
