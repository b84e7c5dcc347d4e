package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/syncs"
	"switchboard/syncs/targets"
	"switchboard/views"
)

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

// syncFieldInfo is how the form shows one target field: its form name,
// label and hint, per target.
func syncFieldInfo(target, field string) views.SyncField {
	f := views.SyncField{Name: field, ErrKey: field, Label: field, Required: true}
	switch field {
	case "region":
		f.Label, f.Hint = "AWS region", "For example us-east-1"
	case "path":
		f.Name = "targetPath"
		if target == "aws-parameter-store" {
			f.Label, f.Hint, f.Required = "Parameter path", "Optional; starts and ends with /, for example /payments/prod/", false
		} else {
			f.Label, f.Hint = "Secret path", "The path in the mount, for example payments/prod"
		}
	case "app":
		switch target {
		case "aws-secret-manager":
			f.Label = "AWS secret name"
		case "hashicorp-vault":
			f.Label, f.Hint = "KV v2 mount", "For example secret"
		case "github":
			f.Label = "Repository"
		}
	case "owner":
		f.Label, f.Hint = "Repository owner", "A user or an organisation"
	case "appId":
		f.Label, f.Hint = "Project", "The GitLab project's id or path (group/project)"
	case "targetEnvironment":
		f.Label, f.Hint, f.Required = "Environment scope", "Optional; * (every environment) when empty", false
	case "metadata.mappingBehavior":
		f.Name, f.Label = "mappingBehavior", "Mapping"
		f.Options = []views.Option{{Value: "many-to-one", Label: "All keys as one JSON secret"}, {Value: "one-to-one", Label: "One secret per key"}}
	}
	return f
}

// syncNewView builds the new-integration form from a request's values
// (query or form): the auth chosen decides the target's fields.
func (h *Handlers) syncNewView(c *fiber.Ctx, value func(string) string) (views.SyncNewView, error) {
	v := views.SyncNewView{CSRF: csrf(c), Env: value("env"), Path: value("path"), Initial: value("initialSyncBehavior"),
		Prefix: value("secretPrefix"), Suffix: value("secretSuffix"), Auth: value("auth")}
	var err error
	_, v.TeamID, err = h.syncTeams(c, value("team"))
	if err != nil || v.TeamID == "" {
		if err == nil {
			err = sb.Errorf(sb.CodeNotFound, "Team not found")
		}
		return v, err
	}
	if v.Path == "" {
		v.Path = "/"
	}
	auths, err := h.Syncs.Auths(c.UserContext(), Actor(c), v.TeamID)
	if err != nil {
		return v, err
	}
	target := ""
	for _, a := range auths {
		info, _ := targets.Lookup(a.Integration)
		label := info.Title
		if a.URL != "" {
			label += " · " + a.URL
		}
		if a.ConnectionID != "" {
			label += " · app connection"
		}
		v.Auths = append(v.Auths, views.Option{Value: a.ID, Label: label})
	}
	chosen := false
	for _, a := range auths {
		if a.ID == v.Auth {
			target, chosen = a.Integration, true
		}
	}
	if !chosen && len(auths) > 0 {
		v.Auth, target = auths[0].ID, auths[0].Integration
	}
	if info, ok := targets.Lookup(target); ok {
		v.Target = info.Title
		for _, name := range info.Fields {
			f := syncFieldInfo(target, name)
			f.Value = value(f.Name)
			v.Fields = append(v.Fields, f)
		}
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

// SyncNew is GET /secret-syncs/new?team=&auth=: the form (htmx reloads it
// when the auth changes, swapping in the target's fields).
func (h *Handlers) SyncNew(c *fiber.Ctx) error {
	v, err := h.syncNewView(c, func(n string) string { return c.Query(n) })
	if err != nil {
		return uiError(c, err)
	}
	return page(c, fiber.StatusOK, "New integration", "secret-syncs", views.SyncNew(v), nil)
}

// SyncCreate is POST /secret-syncs; with reload=1 (the no-JS "Show this
// target's fields") it shows the form again with the auth's fields.
func (h *Handlers) SyncCreate(c *fiber.Ctx) error {
	form := func(n string) string { return c.FormValue(n) }
	if c.FormValue("reload") != "" {
		v, err := h.syncNewView(c, form)
		if err != nil {
			return uiError(c, err)
		}
		return page(c, fiber.StatusOK, "New integration", "secret-syncs", views.SyncNew(v), nil)
	}
	env, path := c.FormValue("env"), c.FormValue("path")
	in, err := h.Syncs.CreateIntegration(c.UserContext(), Actor(c), syncs.IntegrationInput{IntegrationAuthID: c.FormValue("auth"), SourceEnvironment: &env, SecretPath: &path,
		Spec: targets.Spec{Region: c.FormValue("region"), App: c.FormValue("app"), AppID: c.FormValue("appId"), Owner: c.FormValue("owner"),
			Path: c.FormValue("targetPath"), TargetEnvironment: c.FormValue("targetEnvironment"),
			Metadata: targets.Metadata{MappingBehavior: c.FormValue("mappingBehavior"), InitialSyncBehavior: c.FormValue("initialSyncBehavior"),
				SecretPrefix: c.FormValue("secretPrefix"), SecretSuffix: c.FormValue("secretSuffix")}}})
	if err != nil {
		e := sb.AsError(err)
		if e.Code != sb.CodeInvalid && e.Code != sb.CodeBadRequest && e.Code != sb.CodeNotFound {
			return uiError(c, err)
		}
		v, verr := h.syncNewView(c, form)
		if verr != nil {
			return uiError(c, verr)
		}
		v.Errors = views.Errors{}
		for f, m := range e.Fields {
			v.Errors[f] = m
		}
		if len(v.Errors) == 0 {
			key := "integrationAuthId"
			if strings.HasPrefix(e.Message, "Folder") {
				key = "secretPath"
			} else if strings.HasPrefix(e.Message, "Environment") {
				key = "sourceEnvironment"
			}
			v.Errors[key] = e.Message
		}
		return page(c, fiber.StatusUnprocessableEntity, "New integration", "secret-syncs", views.SyncNew(v), nil)
	}
	return redirect(c, "/secret-syncs/"+in.ID)
}

// SyncAuthFromConnection is POST /secret-syncs/auths/connection {team,
// connection, integration}: "Use for secret syncs" on an app connection's
// page stores an auth that references the connection.
func (h *Handlers) SyncAuthFromConnection(c *fiber.Ctx) error {
	a, err := h.Syncs.CreateAuthFromConnection(c.UserContext(), Actor(c), c.FormValue("team"), c.FormValue("integration"), c.FormValue("connection"))
	if err != nil {
		if sb.ErrorCode(err) == sb.CodeInvalid {
			return uiError(c, sb.Errorf(sb.CodeBadRequest, "%s", sb.AsError(err).Error()))
		}
		return uiError(c, err)
	}
	flash(c, "success", "The connection can now be used for secret syncs: create an integration with it.")
	return redirect(c, "/secret-syncs/new?"+url.Values{"team": {a.TeamID}, "auth": {a.ID}}.Encode())
}

// SyncUseFor is the "Use for secret syncs" offer of an app connection
// (nil when the family is off or no target accepts its app and method).
func SyncUseFor(c *fiber.Ctx, connectionID, teamID, app, method string) *views.SyncUseView {
	if on, _ := c.Locals(LocalSecretSyncs).(bool); !on {
		return nil
	}
	v := &views.SyncUseView{ConnectionID: connectionID, TeamID: teamID, CSRF: csrf(c)}
	for _, t := range targets.All() {
		if t.ConnectionApp == "" || t.ConnectionApp != app || app == "aws" && method != "access-key" || app == "hashicorp-vault" && method != "app-role" {
			continue
		}
		v.Targets = append(v.Targets, views.Option{Value: t.Slug, Label: t.Title})
	}
	if len(v.Targets) == 0 {
		return nil
	}
	return v
}

// SyncConfirmDelete is GET /secret-syncs/{id}/confirm/delete.
func (h *Handlers) SyncConfirmDelete(c *fiber.Ctx) error {
	in, err := h.Syncs.GetIntegration(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	r := syncRow(in)
	v := views.ConfirmView{ID: in.ID, Name: r.Where, Action: "delete", Button: "Delete", Danger: true, CSRF: csrf(c),
		Title: "Delete this integration (" + in.Integration + " " + r.Where + ")?", Text: "Its syncs stop for good. The secrets it wrote stay at the target.",
		ActionURL: "/secret-syncs/" + in.ID + "/delete", CancelURL: "/secret-syncs/" + in.ID}
	return page(c, fiber.StatusOK, v.Title, "secret-syncs", views.ConfirmPage(v), views.ConfirmDialog(v))
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
