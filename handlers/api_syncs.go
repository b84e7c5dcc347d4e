package handlers

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/syncs"
	"switchboard/syncs/targets"
)

// Infisical's integration auths and integrations (the legacy secret-sync
// API of seeds/infisical-create-integration-v1.md): answers in the seed's
// shapes, errors in Infisical's (infisicalAPIError). An auth's credentials
// are never in an answer.

func authJSON(a *syncs.Auth) fiber.Map {
	m := fiber.Map{"id": a.ID, "_id": a.ID, "projectId": a.TeamID, "workspace": a.TeamID, "integration": a.Integration,
		"url": a.URL, "namespace": a.Namespace, "createdAt": isoTime(a.CreatedAt), "updatedAt": isoTime(a.UpdatedAt)}
	if a.ConnectionID != "" {
		m["connectionId"] = a.ConnectionID
	}
	return m
}

// APIIntegrationAuthCreate is POST /api/v1/integration-auth/access-token.
func (h *Handlers) APIIntegrationAuthCreate(c *fiber.Ctx) error {
	v := sb.Validation{}
	var ws, integ, accessID, accessToken, url, ns, refresh, role *string
	if err := syncDecode(c, v, map[string]any{"workspaceId": &ws, "integration": &integ, "accessId": &accessID, "accessToken": &accessToken,
		"url": &url, "namespace": &ns, "refreshToken": &refresh, "awsAssumeIamRoleArn": &role}); err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	a, err := h.Syncs.CreateAuth(c.UserContext(), Actor(c), syncs.AuthInput{WorkspaceID: deref(ws), Integration: deref(integ), AccessID: deref(accessID),
		AccessToken: deref(accessToken), URL: deref(url), Namespace: deref(ns), RefreshToken: deref(refresh), AWSAssumeIAMRoleARN: deref(role)})
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integrationAuth": authJSON(a)})
}

// APIIntegrationAuthShow is GET /api/v1/integration-auth/{id}.
func (h *Handlers) APIIntegrationAuthShow(c *fiber.Ctx) error {
	a, err := h.Syncs.GetAuth(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integrationAuth": authJSON(a)})
}

// APIIntegrationAuthDelete is DELETE /api/v1/integration-auth/{id}.
func (h *Handlers) APIIntegrationAuthDelete(c *fiber.Ctx) error {
	a, err := h.Syncs.DeleteAuth(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integrationAuth": authJSON(a)})
}

// APIIntegrationAuthList is GET /api/v1/workspace/{workspaceId}/authorizations.
func (h *Handlers) APIIntegrationAuthList(c *fiber.Ctx) error {
	list, err := h.Syncs.Auths(c.UserContext(), Actor(c), c.Params("workspaceId"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	out := make([]fiber.Map, len(list))
	for i := range list {
		out[i] = authJSON(&list[i])
	}
	return c.JSON(fiber.Map{"authorizations": out})
}

// integrationJSON is the seed's response object plus isSynced and syncMessage.
func integrationJSON(in *syncs.Integration) fiber.Map {
	var lastUsed any
	if in.LastUsed != nil {
		lastUsed = isoTime(*in.LastUsed)
	}
	var isSynced any
	if in.IsSynced != nil {
		isSynced = *in.IsSynced
	}
	s := in.Spec
	return fiber.Map{"id": in.ID, "isActive": in.IsActive, "url": in.URL, "app": s.App, "appId": s.AppID, "targetEnvironment": s.TargetEnvironment,
		"targetEnvironmentId": s.TargetEnvironmentID, "targetService": s.TargetService, "targetServiceId": s.TargetServiceID, "owner": s.Owner,
		"path": s.Path, "region": s.Region, "scope": s.Scope, "integration": in.Integration, "metadata": s.Metadata, "integrationAuthId": in.AuthID,
		"envId": in.EnvID, "secretPath": in.SecretPath, "createdAt": isoTime(in.CreatedAt), "updatedAt": isoTime(in.UpdatedAt), "lastUsed": lastUsed,
		"isSynced": isSynced, "syncMessage": in.SyncMessage}
}

// integrationBody decodes the seed's body; set names the members given.
func integrationBody(c *fiber.Ctx, v sb.Validation) (syncs.IntegrationInput, map[string]bool, error) {
	var in syncs.IntegrationInput
	var authID, app, appID, te, teID, ts, tsID, owner, path, region, scope *string
	var meta json.RawMessage
	if err := syncDecode(c, v, map[string]any{"integrationAuthId": &authID, "isActive": &in.IsActive, "app": &app, "appId": &appID,
		"secretPath": &in.SecretPath, "sourceEnvironment": &in.SourceEnvironment, "targetEnvironment": &te, "targetEnvironmentId": &teID,
		"targetService": &ts, "targetServiceId": &tsID, "owner": &owner, "path": &path, "region": &region, "scope": &scope, "metadata": &meta}); err != nil {
		return in, nil, err
	}
	set := map[string]bool{}
	for name, p := range map[string]**string{"app": &app, "appId": &appID, "targetEnvironment": &te, "targetEnvironmentId": &teID, "targetService": &ts,
		"targetServiceId": &tsID, "owner": &owner, "path": &path, "region": &region, "scope": &scope} {
		set[name] = *p != nil
	}
	in.IntegrationAuthID = deref(authID)
	in.Spec = targets.Spec{App: deref(app), AppID: deref(appID), TargetEnvironment: deref(te), TargetEnvironmentID: deref(teID), TargetService: deref(ts),
		TargetServiceID: deref(tsID), Owner: deref(owner), Path: deref(path), Region: deref(region), Scope: deref(scope)}
	if meta != nil {
		set["metadata"] = true
		if err := json.Unmarshal(meta, &in.Spec.Metadata); err != nil {
			v.Add("metadata", "Expected object with string secretPrefix, secretSuffix, initialSyncBehavior, mappingBehavior, kmsKeyId and secretAWSTag [{key, value}]")
		}
	}
	return in, set, nil
}

// APIIntegrationCreate is POST /api/v1/integration (the seed).
func (h *Handlers) APIIntegrationCreate(c *fiber.Ctx) error {
	v := sb.Validation{}
	in, _, err := integrationBody(c, v)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	out, err := h.Syncs.CreateIntegration(c.UserContext(), Actor(c), in)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integration": integrationJSON(out)})
}

// APIIntegrationShow is GET /api/v1/integration/{id}.
func (h *Handlers) APIIntegrationShow(c *fiber.Ctx) error {
	out, err := h.Syncs.GetIntegration(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integration": integrationJSON(out)})
}

// APIIntegrationUpdate is PATCH /api/v1/integration/{id}.
func (h *Handlers) APIIntegrationUpdate(c *fiber.Ctx) error {
	v := sb.Validation{}
	in, set, err := integrationBody(c, v)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	if in.SourceEnvironment == nil {
		// PATCH names the source environment "environment" in Infisical.
		var env *string
		_ = syncDecode(c, sb.Validation{}, map[string]any{"environment": &env})
		in.SourceEnvironment = env
	}
	out, err := h.Syncs.UpdateIntegration(c.UserContext(), Actor(c), c.Params("id"), in, set)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integration": integrationJSON(out)})
}

// APIIntegrationDelete is DELETE /api/v1/integration/{id}[?shouldDeleteIntegrationSecrets=true].
func (h *Handlers) APIIntegrationDelete(c *fiber.Ctx) error {
	del := c.Query("shouldDeleteIntegrationSecrets")
	if del != "" && del != "true" && del != "false" {
		return infisicalAPIError(c, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"shouldDeleteIntegrationSecrets": "Expected 'true' | 'false'"}})
	}
	out, err := h.Syncs.DeleteIntegration(c.UserContext(), Actor(c), c.Params("id"), del == "true")
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integration": integrationJSON(out)})
}

// APIIntegrationSync is POST /api/v1/integration/{id}/sync: queue a run now.
func (h *Handlers) APIIntegrationSync(c *fiber.Ctx) error {
	out, err := h.Syncs.SyncNow(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return c.JSON(fiber.Map{"integration": integrationJSON(out)})
}

// APIIntegrationList is GET /api/v1/workspace/{workspaceId}/integrations.
func (h *Handlers) APIIntegrationList(c *fiber.Ctx) error {
	list, err := h.Syncs.Integrations(c.UserContext(), Actor(c), c.Params("workspaceId"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	out := make([]fiber.Map, len(list))
	for i := range list {
		out[i] = integrationJSON(&list[i])
	}
	return c.JSON(fiber.Map{"integrations": out})
}
