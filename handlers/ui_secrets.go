package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/syncs"
	"switchboard/syncs/targets"
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
	for _, e := range envs {
		v.Envs = append(v.Envs, views.Option{Value: e.Slug, Label: e.Name})
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

func (h *Handlers) secretsBack(c *fiber.Ctx, msg string) error {
	flash(c, "success", msg)
	return redirect(c, "/secrets?team="+c.FormValue("team")+"&env="+c.FormValue("env")+"&path="+c.FormValue("path"))
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

// SecretImport is POST /secrets/import: a pasted .env, all or nothing.
func (h *Handlers) SecretImport(c *fiber.Ctx) error {
	text := c.FormValue("dotenv")
	in, err := syncs.ParseDotenv(text)
	if err == nil {
		_, err = h.Syncs.UpsertSecrets(c.UserContext(), Actor(c), syncs.Scope{ProjectID: c.FormValue("team"), Environment: c.FormValue("env"), SecretPath: c.FormValue("path")}, in)
	}
	if err != nil {
		return h.secretsInvalid(c, err, func(v *views.SecretsView) { v.Dotenv = "" })
	}
	return h.secretsBack(c, "Imported "+itoa(len(in))+" secrets.")
}

// SecretDelete is POST /secrets/delete.
func (h *Handlers) SecretDelete(c *fiber.Ctx) error {
	key := c.FormValue("key")
	if _, err := h.Syncs.DeleteSecret(c.UserContext(), Actor(c), syncs.Scope{ProjectID: c.FormValue("team"), Environment: c.FormValue("env"), SecretPath: c.FormValue("path")}, key); err != nil {
		return uiError(c, err)
	}
	return h.secretsBack(c, "Deleted "+key+".")
}

func syncRow(in *syncs.Integration) views.SyncRow {
	where := in.Spec.App + in.Spec.AppID
	if in.Spec.Owner != "" {
		where = in.Spec.Owner + "/" + in.Spec.App
	}
	if in.Spec.Region != "" {
		where += " (" + in.Spec.Region + ")"
	}
	return views.SyncRow{ID: in.ID, Target: in.Integration, Env: in.Environment, Path: in.SecretPath, Where: where, Message: in.SyncMessage,
		Active: in.IsActive, Synced: in.IsSynced, LastRun: in.LastUsed, Managed: in.ManagedKeys}
}

func (h *Handlers) syncsView(c *fiber.Ctx, team string) (views.SyncsView, error) {
	v := views.SyncsView{CSRF: csrf(c), Form: map[string]string{}}
	var err error
	v.Teams, v.TeamID, err = h.syncTeams(c, team)
	if err != nil || v.TeamID == "" {
		return v, err
	}
	for _, t := range targets.All() {
		v.Targets = append(v.Targets, views.Option{Value: t.Slug, Label: t.Title})
	}
	list, err := h.Syncs.Integrations(c.UserContext(), Actor(c), v.TeamID)
	if err != nil {
		return v, err
	}
	for i := range list {
		v.Syncs = append(v.Syncs, syncRow(&list[i]))
	}
	auths, err := h.Syncs.Auths(c.UserContext(), Actor(c), v.TeamID)
	if err != nil {
		return v, err
	}
	for _, a := range auths {
		label := a.Integration
		if a.URL != "" {
			label += " · " + a.URL
		}
		v.Auths = append(v.Auths, views.Option{Value: a.ID, Label: label})
	}
	envs, err := h.Syncs.Environments(c.UserContext(), Actor(c), v.TeamID)
	if err != nil {
		return v, err
	}
	for _, e := range envs {
		v.Envs = append(v.Envs, views.Option{Value: e.Slug, Label: e.Name})
	}
	return v, nil
}

// SyncsPage is GET /secret-syncs?team=.
func (h *Handlers) SyncsPage(c *fiber.Ctx) error {
	v, err := h.syncsView(c, c.Query("team"))
	if err != nil {
		return uiError(c, err)
	}
	return page(c, fiber.StatusOK, "Secret syncs", "secret-syncs", views.Syncs(v), nil)
}

func (h *Handlers) syncsInvalid(c *fiber.Ctx, err error) error {
	e := sb.AsError(err)
	if e.Code != sb.CodeInvalid && e.Code != sb.CodeBadRequest && e.Code != sb.CodeNotFound {
		return uiError(c, err)
	}
	v, verr := h.syncsView(c, c.FormValue("team"))
	if verr != nil {
		return uiError(c, verr)
	}
	v.Errors = views.Errors{}
	for f, m := range e.Fields {
		v.Errors[f] = m
	}
	if len(v.Errors) == 0 {
		v.Errors["integrationAuthId"] = e.Message
	}
	for _, f := range []string{"region", "app", "appId", "owner", "targetPath", "targetEnvironment"} {
		v.Form[f] = c.FormValue(f)
	}
	return page(c, fiber.StatusUnprocessableEntity, "Secret syncs", "secret-syncs", views.Syncs(v), nil)
}

// SyncAuthCreate is POST /secret-syncs/auths.
func (h *Handlers) SyncAuthCreate(c *fiber.Ctx) error {
	_, err := h.Syncs.CreateAuth(c.UserContext(), Actor(c), syncs.AuthInput{WorkspaceID: c.FormValue("team"), Integration: c.FormValue("integration"),
		AccessID: c.FormValue("access_id"), AccessToken: c.FormValue("access_token"), URL: c.FormValue("url"), Namespace: c.FormValue("namespace")})
	if err != nil {
		return h.syncsInvalid(c, err)
	}
	flash(c, "success", "Saved the integration auth. Its credentials will not be shown again.")
	return redirect(c, "/secret-syncs?team="+c.FormValue("team"))
}

// SyncCreate is POST /secret-syncs.
func (h *Handlers) SyncCreate(c *fiber.Ctx) error {
	env, path := c.FormValue("env"), c.FormValue("path")
	in, err := h.Syncs.CreateIntegration(c.UserContext(), Actor(c), syncs.IntegrationInput{IntegrationAuthID: c.FormValue("auth"), SourceEnvironment: &env, SecretPath: &path,
		Spec: targets.Spec{Region: c.FormValue("region"), App: c.FormValue("app"), AppID: c.FormValue("appId"), Owner: c.FormValue("owner"),
			Path: c.FormValue("targetPath"), TargetEnvironment: c.FormValue("targetEnvironment")}})
	if err != nil {
		return h.syncsInvalid(c, err)
	}
	return redirect(c, "/secret-syncs/"+in.ID)
}

// SyncShow is GET /secret-syncs/{id}.
func (h *Handlers) SyncShow(c *fiber.Ctx) error {
	in, err := h.Syncs.GetIntegration(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	return page(c, fiber.StatusOK, "Secret sync", "secret-syncs", views.SyncPage(syncRow(in), csrf(c)), nil)
}

// SyncNowUI is POST /secret-syncs/{id}/sync.
func (h *Handlers) SyncNowUI(c *fiber.Ctx) error {
	if _, err := h.Syncs.SyncNow(c.UserContext(), Actor(c), c.Params("id")); err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Sync queued.")
	return redirect(c, "/secret-syncs/"+c.Params("id"))
}

// SyncActive is POST /secret-syncs/{id}/active (active=true|false).
func (h *Handlers) SyncActive(c *fiber.Ctx) error {
	active := c.FormValue("active") == "true"
	if _, err := h.Syncs.UpdateIntegration(c.UserContext(), Actor(c), c.Params("id"), syncs.IntegrationInput{IsActive: &active}, nil); err != nil {
		return uiError(c, err)
	}
	return redirect(c, "/secret-syncs/"+c.Params("id"))
}

// SyncDeleteUI is POST /secret-syncs/{id}/delete (the target keeps its secrets).
func (h *Handlers) SyncDeleteUI(c *fiber.Ctx) error {
	in, err := h.Syncs.DeleteIntegration(c.UserContext(), Actor(c), c.Params("id"), false)
	if err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "Deleted the integration.")
	return redirect(c, "/secret-syncs?team="+in.TeamID)
}
