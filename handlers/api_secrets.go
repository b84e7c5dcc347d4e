package handlers

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/syncs"
)

// Infisical's secrets, environments and folders (/api/v4/secrets,
// /api/v1/workspace/{id}/environments, /api/v1/folders) in Infisical's
// shapes, with one deliberate difference: secretValue is always the
// placeholder, because values are write-only. Errors are Infisical's
// (infisicalAPIError).

// syncDecode decodes a JSON object member by member into dst (pointers to
// *string, *bool, *[]map[string]json.RawMessage, *json.RawMessage), adding a
// 422 issue per member of the wrong type. Unknown members are dropped, as
// Infisical drops them.
func syncDecode(c *fiber.Ctx, v sb.Validation, dst map[string]any) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		body = []byte("{}")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"body": "Expected a JSON object"}}
	}
	for name, p := range dst {
		raw, ok := m[name]
		if !ok || bytes.Equal(raw, []byte("null")) {
			continue
		}
		var err error
		switch p := p.(type) {
		case **string:
			var s string
			if err = json.Unmarshal(raw, &s); err == nil {
				*p = &s
			}
		case **bool:
			var b bool
			if err = json.Unmarshal(raw, &b); err == nil {
				*p = &b
			}
		case *json.RawMessage:
			*p = raw
		default:
			err = json.Unmarshal(raw, p)
		}
		if err != nil {
			v.Add(name, "Expected "+expectedKind(p)+", received "+jsonKindOf(raw))
		}
	}
	return nil
}

func expectedKind(p any) string {
	switch p.(type) {
	case **string:
		return "string"
	case **bool:
		return "boolean"
	case *[]secretItem:
		return "array"
	}
	return "object"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// secretJSON is a secret in Infisical's v4 shape, its value masked.
func secretJSON(s syncs.Secret) fiber.Map {
	return fiber.Map{"id": s.ID, "_id": s.ID, "workspace": s.TeamID, "environment": s.Environment, "version": s.Version, "type": "shared",
		"secretKey": s.Key, "secretValue": syncs.MaskedValue, "secretValueHidden": true, "secretComment": s.Comment, "secretPath": s.Path,
		"tags": []any{}, "secretMetadata": []any{}, "createdAt": isoTime(s.CreatedAt), "updatedAt": isoTime(s.UpdatedAt)}
}

func secretsJSON(list []syncs.Secret) []fiber.Map {
	out := make([]fiber.Map, len(list))
	for i, s := range list {
		out[i] = secretJSON(s)
	}
	return out
}

type secretScopeBody struct {
	projectID, workspaceID, environment, secretPath *string
}

func (b *secretScopeBody) fields(m map[string]any) map[string]any {
	m["projectId"], m["workspaceId"], m["environment"], m["secretPath"] = &b.projectID, &b.workspaceID, &b.environment, &b.secretPath
	return m
}

func (b *secretScopeBody) scope() syncs.Scope {
	p := deref(b.projectID)
	if p == "" {
		p = deref(b.workspaceID)
	}
	return syncs.Scope{ProjectID: p, Environment: deref(b.environment), SecretPath: deref(b.secretPath)}
}

func queryScope(c *fiber.Ctx) syncs.Scope {
	p := c.Query("projectId")
	if p == "" {
		p = c.Query("workspaceId")
	}
	return syncs.Scope{ProjectID: p, Environment: c.Query("environment"), SecretPath: c.Query("secretPath")}
}

// APISecretsList is GET /api/v4/secrets?projectId=&environment=&secretPath=.
func (h *Handlers) APISecretsList(c *fiber.Ctx) error {
	list, err := h.Syncs.ListSecrets(c.UserContext(), Actor(c), queryScope(c))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"secrets": secretsJSON(list), "imports": []any{}})
}

func (h *Handlers) secretWrite(c *fiber.Ctx, update bool) error {
	v := sb.Validation{}
	var sc secretScopeBody
	var value, comment *string
	if err := syncDecode(c, v, sc.fields(map[string]any{"secretValue": &value, "secretComment": &comment})); err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	in := syncs.SecretInput{Key: c.Params("secretName"), Value: value, Comment: comment}
	var s *syncs.Secret
	var err error
	if update {
		s, err = h.Syncs.UpdateSecret(c.UserContext(), Actor(c), sc.scope(), in)
	} else {
		s, err = h.Syncs.CreateSecret(c.UserContext(), Actor(c), sc.scope(), in)
	}
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"secret": secretJSON(*s)})
}

// APISecretCreate is POST /api/v4/secrets/{secretName}.
func (h *Handlers) APISecretCreate(c *fiber.Ctx) error { return h.secretWrite(c, false) }

// APISecretUpdate is PATCH /api/v4/secrets/{secretName}.
func (h *Handlers) APISecretUpdate(c *fiber.Ctx) error { return h.secretWrite(c, true) }

// APISecretDelete is DELETE /api/v4/secrets/{secretName} (scope in the body or the query).
func (h *Handlers) APISecretDelete(c *fiber.Ctx) error {
	v := sb.Validation{}
	var sc secretScopeBody
	if err := syncDecode(c, v, sc.fields(map[string]any{})); err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	scope := sc.scope()
	if scope.ProjectID == "" {
		scope = queryScope(c)
	}
	s, err := h.Syncs.DeleteSecret(c.UserContext(), Actor(c), scope, c.Params("secretName"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"secret": secretJSON(*s)})
}

type secretItem struct {
	SecretKey     *string `json:"secretKey"`
	SecretValue   *string `json:"secretValue"`
	SecretComment *string `json:"secretComment"`
}

// APISecretsBatch is POST /api/v4/secrets/batch: many creates, all or nothing.
func (h *Handlers) APISecretsBatch(c *fiber.Ctx) error {
	v := sb.Validation{}
	var sc secretScopeBody
	var items []secretItem
	if err := syncDecode(c, v, sc.fields(map[string]any{"secrets": &items})); err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	in := make([]syncs.SecretInput, len(items))
	for i, it := range items {
		in[i] = syncs.SecretInput{Key: deref(it.SecretKey), Value: it.SecretValue, Comment: it.SecretComment}
	}
	list, err := h.Syncs.CreateSecrets(c.UserContext(), Actor(c), sc.scope(), in)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"secrets": secretsJSON(list)})
}

func envJSON(e *syncs.Environment) fiber.Map {
	return fiber.Map{"id": e.ID, "name": e.Name, "slug": e.Slug, "position": e.Position}
}

// APIEnvironmentCreate is POST /api/v1/workspace/{workspaceId}/environments.
func (h *Handlers) APIEnvironmentCreate(c *fiber.Ctx) error {
	v := sb.Validation{}
	var name, slug *string
	if err := syncDecode(c, v, map[string]any{"name": &name, "slug": &slug}); err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	e, err := h.Syncs.CreateEnvironment(c.UserContext(), Actor(c), c.Params("workspaceId"), deref(slug), deref(name))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"message": "Successfully created new environment", "workspace": e.TeamID, "environment": envJSON(e)})
}

// APIEnvironmentUpdate is PATCH /api/v1/workspace/{workspaceId}/environments/{id}.
func (h *Handlers) APIEnvironmentUpdate(c *fiber.Ctx) error {
	v := sb.Validation{}
	var name, slug *string
	if err := syncDecode(c, v, map[string]any{"name": &name, "slug": &slug}); err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	e, err := h.Syncs.UpdateEnvironment(c.UserContext(), Actor(c), c.Params("workspaceId"), c.Params("id"), deref(slug), deref(name))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"message": "Successfully updated environment", "workspace": e.TeamID, "environment": envJSON(e)})
}

// APIEnvironmentDelete is DELETE /api/v1/workspace/{workspaceId}/environments/{id}.
func (h *Handlers) APIEnvironmentDelete(c *fiber.Ctx) error {
	e, err := h.Syncs.DeleteEnvironment(c.UserContext(), Actor(c), c.Params("workspaceId"), c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"message": "Successfully deleted environment", "workspace": e.TeamID, "environment": envJSON(e)})
}

// APIFolderCreate is POST /api/v1/folders {projectId|workspaceId, environment, name, path}.
func (h *Handlers) APIFolderCreate(c *fiber.Ctx) error {
	v := sb.Validation{}
	var sc secretScopeBody
	var name, path *string
	if err := syncDecode(c, v, sc.fields(map[string]any{"name": &name, "path": &path})); err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	scope := sc.scope()
	if path != nil {
		scope.SecretPath = *path
	}
	f, err := h.Syncs.CreateFolder(c.UserContext(), Actor(c), scope, deref(name))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"folder": fiber.Map{"id": f.ID, "name": f.Name, "path": f.Path, "environment": f.Environment, "createdAt": isoTime(f.CreatedAt)}})
}
